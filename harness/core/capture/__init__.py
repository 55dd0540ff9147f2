"""Browser captures (HAR, SAML-tracer JSON): read them, turn them into traces, write traces back as HAR."""
