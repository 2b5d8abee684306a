"""The dashboards, by name: who may see each, and the function that builds it."""
