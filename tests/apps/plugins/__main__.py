import hostlib

print(hostlib.plugins())
print(hostlib.style("dark"))
print(hostlib.extension("ext_one"))
