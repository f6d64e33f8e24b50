import sys

print("Hello from a frozen app!")
print("héllo wörld ✓")
print("args:", sys.argv[1:])
