#!/bin/sh
# A capability backend for the tests: reports the identity it was given.
printf 'Content-Type: application/json\r\n\r\n'
printf '{"agent_id":"%s","host_id":"%s","mode":"%s","capability":"%s","header_agent_id":"%s","authorization":"%s","body_length":"%s"}\n' \
    "$AGENT_AUTH_AGENT_ID" "$AGENT_AUTH_HOST_ID" "$AGENT_AUTH_MODE" \
    "$AGENT_AUTH_CAPABILITY" "$HTTP_X_AGENT_AUTH_AGENT_ID" "$HTTP_AUTHORIZATION" \
    "$CONTENT_LENGTH"
