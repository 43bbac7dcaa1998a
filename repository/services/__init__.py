"""Every write and every rule of the repository app lives here (see DESIGN.md)."""
