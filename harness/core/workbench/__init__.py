"""The message workbench: open any SAML message, edit it, re-sign or strip it, transform it and
send it again (as Burp's SAML Raider does), with the SP's answer recorded as a new trace.

No Qt here: the `send` command and the app's editor page both drive these modules.
"""
