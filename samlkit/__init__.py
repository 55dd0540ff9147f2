"""Small wrappers over lxml, xmlsec and pysaml2 shared by `sp` and `mock_idp`.

Neither server imports the harness; both import this package so that the XML safety rules,
the signature rules and the message encodings exist exactly once.
"""
