"""Synthetic, deterministic inputs for the personal-data speed benchmark.

Three shapes of real release material, each generated from a seed so that
every run (and every machine) sees the same text:

- ``captions``: a caption table (about 12 words a row; 10 % hold personal
  data; 30 % repeat an earlier caption; a third name a place or a style in
  capitals, as real captions do).
- ``url_rows``: an image-URL list as web-scraped caption datasets ship it:
  image URL, landing page, caption, width, height, an MD5. The URLs carry
  what makes scanners slow and noisy: long digit runs (photo ids, timestamps,
  card-number-shaped ids), ``name@2x.jpg`` retina suffixes, CDN host names,
  size folders (``736x``), query strings.
- ``training_log``: a training log, one ``step 3 loss 0.6931 lr 0.00026 ...``
  line per step, with no blank line anywhere: number-dense text that the
  reader hands over as long paragraphs.

Nothing here is copied from a real dataset: the words come from the lists
below and the ids from the random generator.
"""

from __future__ import annotations

import random

SUBJECTS = ["a red fox", "an old lighthouse", "a bowl of lemons", "two cats", "a heron",
            "a mountain village", "a cyberpunk street", "a knight in armour", "a koi pond",
            "an abandoned greenhouse", "a jazz trio", "a paper boat", "a field of poppies",
            "a sleeping dragon", "a tram at dusk", "a bonsai tree", "a desert caravan"]
STYLES = ["watercolor", "oil painting", "ink wash", "pixel art", "charcoal sketch",
          "digital painting", "linocut print", "gouache", "isometric render", "pastel drawing"]
DETAILS = ["soft morning light", "dramatic shadows", "muted palette", "high detail",
           "loose brushstrokes", "golden hour", "foggy atmosphere", "vivid colours",
           "shallow depth of field", "textured paper"]
PLACES = ["Venice", "Kyoto", "Lisbon", "Mount Fuji", "the Scottish Highlands", "Marrakech",
          "Reykjavik", "the Amalfi Coast", "New Orleans", "Patagonia"]
MOVEMENTS = ["Art Nouveau", "Ukiyo-e", "Bauhaus", "Impressionist", "Baroque", "Art Deco"]
FIRST = ["Maria", "Kwame", "Aisha", "Tomasz", "Yuki", "Priya", "Lucas", "Fatima", "Chen",
         "Olga", "Diego", "Amara"]
LAST = ["Gonzalez", "Asante", "Okafor", "Nowak", "Tanaka", "Sharma", "Martin", "Haddad",
        "Wei", "Petrova", "Fernandez", "Obi"]


def caption(rng: random.Random) -> str:
    text = (f"{rng.choice(STYLES)} of {rng.choice(SUBJECTS)}, {rng.choice(DETAILS)}, "
            f"{rng.choice(DETAILS)}")
    roll = rng.random()
    if roll < 0.2:
        text += f", in {rng.choice(PLACES)}"
    elif roll < 0.33:
        text += f", {rng.choice(MOVEMENTS)} style"
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    return text


def personal(rng: random.Random, text: str) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    kind = rng.randrange(5)
    if kind == 0:
        return f"{text}, portrait of {first} {last}"
    if kind == 1:
        return f"{text}, commissioned by {first.lower()}.{last.lower()}@postbox-mail.org"
    if kind == 2:
        return f"{text}, photo {first} {last}, call 415-555-01{rng.randrange(10, 99)}"
    if kind == 3:
        return f"{text}, uploaded by @{first.lower()}_{last.lower()}"
    return f"{text}, {first} {last} was diagnosed with asthma"


def captions(rows: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(rows):
        if out and rng.random() < 0.30:
            out.append(rng.choice(out))
            continue
        text = caption(rng)
        if rng.random() < 0.10:
            text = personal(rng, text)
        out.append(text)
    return out


# --- image-URL lists ---------------------------------------------------------

URL_COLUMNS = ["url", "page_url", "caption", "width", "height", "md5"]
_HOSTS = ["images.example-cdn.net", "i.pinimg.example.com", "farm4.staticphotos.example.org",
          "cdn.shopify.example.com", "upload.wikimedia.example.org", "media.gallery.example.io",
          "img.blogspot.example.com", "assets.newsroom.example.co.uk"]
_WORDS = ["sunset", "fox", "portrait", "lighthouse", "garden", "city", "dragon", "studio",
          "poster", "wallpaper", "print", "sketch", "product", "wedding", "beach", "logo"]
_SIZES = [(736, 1104), (1024, 768), (1920, 1080), (600, 600), (1200, 800), (2048, 1365)]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def image_url(rng: random.Random) -> str:
    host = rng.choice(_HOSTS)
    kind = rng.randrange(6)
    slug = "-".join(rng.sample(_WORDS, 3))
    if kind == 0:  # photo-sharing style: server/id_secret_size.jpg
        return f"https://{host}/{rng.randrange(1, 9)}/{_digits(rng, 4)}/" \
               f"{_digits(rng, 11)}_{_hex(rng, 10)}_o.jpg"
    if kind == 1:  # pin style: size folder, hashed path
        h = _hex(rng, 32)
        return f"https://{host}/736x/{h[:2]}/{h[2:4]}/{h[4:6]}/{h}.jpg"
    if kind == 2:  # dated upload folder with a 16-digit id
        return f"https://{host}/wp-content/uploads/20{rng.randrange(10, 24)}/" \
               f"{rng.randrange(1, 13):02d}/{slug}-{_digits(rng, 16)}.jpg"
    if kind == 3:  # retina suffix
        return f"https://{host}/static/img/{slug}@2x.png"
    if kind == 4:  # shop CDN with version query
        return f"https://{host}/s/files/1/{_digits(rng, 4)}/{_digits(rng, 4)}/products/" \
               f"{slug}_{rng.randrange(100, 2000)}x.jpg?v={_digits(rng, 10)}"
    return f"https://{host}/{slug}/{_digits(rng, 9)}/{rng.randrange(1, 99)}.jpeg" \
           f"?w={rng.choice(_SIZES)[0]}&q=80&t={_digits(rng, 13)}"


def url_rows(rows: int, seed: int) -> list[dict[str, str]]:
    """Rows of an image-URL list; the captions are the caption table's."""
    rng = random.Random(seed)
    texts = captions(rows, seed + 1)
    out = []
    for text in texts:
        width, height = rng.choice(_SIZES)
        url = image_url(rng)
        page = f"https://www.{rng.choice(_HOSTS).split('.', 1)[1]}/" \
               f"{'-'.join(rng.sample(_WORDS, 2))}/{_digits(rng, rng.choice((6, 8, 10)))}"
        out.append({"url": url, "page_url": page, "caption": text, "width": str(width),
                    "height": str(height), "md5": _hex(rng, 32)})
    return out


# --- training logs -----------------------------------------------------------

def training_log(lines: int, seed: int) -> str:
    """A training log of ``lines`` lines, no blank line anywhere."""
    rng = random.Random(seed)
    out = []
    loss = 2.5
    for step in range(1, lines + 1):
        loss = max(0.05, loss * 0.9995 + rng.uniform(-0.02, 0.02))
        lr = 0.0003 * min(1.0, step / 500)
        out.append(f"step {step} loss {loss:.4f} lr {lr:.5f} grad_norm {rng.uniform(0.1, 3):.3f} "
                   f"epoch {step // 1000} it/s {rng.uniform(1.5, 4):.2f} "
                   f"mem {rng.randrange(9000, 24000)}MiB")
    return "\n".join(out) + "\n"
