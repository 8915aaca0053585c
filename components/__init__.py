"""The platform's reusable components, one subpackage per concern (see each one's docstring)."""
