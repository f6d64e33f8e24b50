# sniffio: detect the running async library.
import asyncio
import sniffio
try:
    sniffio.current_async_library()
except sniffio.AsyncLibraryNotFoundError:
    print("no async library")
async def main():
    return sniffio.current_async_library()
print(asyncio.run(main()))
tok = sniffio.current_async_library_cvar.set("trio")
print(sniffio.current_async_library()); sniffio.current_async_library_cvar.reset(tok)
