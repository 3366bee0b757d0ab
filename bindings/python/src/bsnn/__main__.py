"""`python -m bsnn`: the library version and where it was loaded from."""
import bsnn

print(f"bsnn {bsnn.__version__}")
print(f"library {bsnn.library_path}")
print("features " + ", ".join(k for k, v in bsnn.features().items() if v))
