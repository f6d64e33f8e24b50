"""Text drawn with Pillow's FreeType, whose bundled libfreetype and
libharfbuzz need each other (DT_NEEDED both ways)."""
from PIL import Image, ImageDraw, ImageFont, features

print(features.check("freetype2"))
font = ImageFont.load_default(size=18)
img = Image.new("L", (200, 40))
ImageDraw.Draw(img).text((5, 5), "Hello", font=font, fill=255)
print(img.getbbox(), sum(img.getdata()))
