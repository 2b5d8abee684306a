"""Turning stored values (answers, record attributes, the feed) into what people read."""
