"""Development tools, never imported by the shipped apps: the embedded database and its launcher,
the background launcher of the Stripe simulator."""
