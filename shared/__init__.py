"""EchelonX domain code: everything a Lambda handler calls. Ships in the dependency layer (except shared.local)."""
