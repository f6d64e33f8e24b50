# Pillow: draw, filter, resize, convert, encode/decode PNG/JPEG/WebP/GIF/TIFF
# (their bundled codec libraries), text with the default FreeType font.
import io, hashlib
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps, features, ImageChops
im = Image.new("RGB", (64, 48), (10, 20, 30))
d = ImageDraw.Draw(im)
d.rectangle([5, 5, 40, 30], fill=(200, 50, 50), outline=(255, 255, 255))
d.ellipse([30, 10, 60, 45], fill=(50, 200, 80))
d.line([0, 47, 63, 0], fill=(255, 255, 0), width=2)
print(hashlib.sha256(im.tobytes()).hexdigest()[:16])
g = im.convert("L").filter(ImageFilter.GaussianBlur(2)).resize((32, 24), Image.LANCZOS)
print(g.size, g.mode, sorted(g.getcolors(2000))[-1][1], hashlib.sha256(ImageOps.invert(g).tobytes()).hexdigest()[:16])
for fmt in ("PNG", "JPEG", "WEBP", "GIF", "TIFF", "BMP"):
    b = io.BytesIO()
    im.save(b, fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    b.seek(0)
    back = Image.open(b)
    back.load()
    print(fmt, back.format, back.size, back.mode)
print({f: features.check(f) for f in ("freetype2", "jpg", "zlib", "webp", "littlecms2", "libtiff")})
font = ImageFont.load_default(size=14)
t = Image.new("L", (120, 20)); ImageDraw.Draw(t).text((2, 2), "Hello", font=font, fill=255)
print(t.getbbox() is not None, type(font).__name__)
print(ImageChops.difference(im, im).getbbox())
