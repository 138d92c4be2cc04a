"""Clients of the outside world: marketplaces, the customs single window, exchange rates."""
