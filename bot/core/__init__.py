"""The platform-free core: message types, ports, the state table and the engine."""
