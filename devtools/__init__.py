"""Development tools, never imported by the shipped apps or production settings: the embedded
database, its launcher and mongoeco fixes, the Stripe simulator's background launcher, and the
console mail backend of settings/local.py."""
