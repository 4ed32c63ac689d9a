"""Client of the provincial platform contract (requests). Typed errors, no Qt."""
