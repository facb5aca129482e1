"""What tokens_app tells the rest of the product (the audit listens), without importing it."""
from django.dispatch import Signal

# agent, flow
login_completed = Signal()
# agent, reason
token_forgotten = Signal()
