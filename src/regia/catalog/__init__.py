"""The single shared training catalogue (supply side): providers, courses, editions, skills taught."""
