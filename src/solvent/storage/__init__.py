"""Content-addressed storage: ids, hashing, the object store, trees, the state cache, links."""
