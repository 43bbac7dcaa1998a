"""Benchmark: the near-duplicate check (repository/perceptual.py) on the shared images.

    .venv/bin/python bench/near_duplicates.py [--limit 700] [--sizes 10000,100000]
        [--database-url postgres://postgres@127.0.0.1:5432/pixgen_bench_neardup]

1. Recall: every image of ../shared/data/ham10000-fullres and isic2018-task1/test (up to
   --limit) gets generated copies — resized to half, JPEG quality 60, a 10% crop at a random
   offset, ±10% brightness, a random rotation of 2–5° — and the share of copies matched to
   their original is reported per kind of copy.
2. False positives: every pair of distinct originals; pairs of HAM10000 images of one lesion
   (another photograph, not a copy) are counted apart, not as false positives.
3. Lookup cost: the banded index in PostgreSQL holding 10,000 and 100,000 stored images
   (ten rows each): the real fingerprints plus filler made by flipping ~16 random bits of each
   region's coarse hash and ~64 of its fine hash at random (so the filler keeps dermoscopy's bit
   statistics yet is not a copy). Reports the median and p95 time of one lookup and how many
   stored rows the band query touched, against the rows a scan would read.
"""

import argparse
import csv
import io
import itertools
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from PIL import Image, ImageEnhance  # noqa: E402

from repository import perceptual  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def _jpeg(image: Image.Image, quality: int = 95) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def copies(image: Image.Image, rng: random.Random) -> dict[str, bytes]:
    w, h = image.size
    cw, ch = round(w * 0.9), round(h * 0.9)
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    angle = rng.uniform(2, 5) * rng.choice((-1, 1))
    return {
        "resize 50%": _jpeg(image.resize((w // 2, h // 2), Image.Resampling.LANCZOS)),
        "JPEG q60": _jpeg(image, 60),
        "crop 10%": _jpeg(image.crop((x, y, x + cw, y + ch))),
        "brightness +10%": _jpeg(ImageEnhance.Brightness(image).enhance(1.1)),
        "brightness -10%": _jpeg(ImageEnhance.Brightness(image).enhance(0.9)),
        "rotation 2-5°": _jpeg(image.rotate(angle, resample=Image.Resampling.BICUBIC)),
    }


def originals(limit: int) -> list[tuple[str, Path, str]]:
    """(image id, path, lesion id or the image id) of the shared images used."""
    out = []
    ham = DATA / "ham10000-fullres"
    with open(ham / "HAM10000_metadata_subset.csv", newline="") as fh:
        lesions = {row["image_id"]: row["lesion_id"] for row in csv.DictReader(fh)}
    for path in sorted((ham / "images").glob("*.jpg")):
        out.append((path.stem, path, lesions.get(path.stem, path.stem)))
    for path in sorted((DATA / "isic2018-task1" / "test" / "images").glob("*.jpg")):
        out.append((path.stem, path, path.stem))
    return out[:limit]


def accuracy(limit: int, seed: int):
    rng = random.Random(seed)
    items = originals(limit)
    prints, copy_prints = [], {}
    started = time.perf_counter()
    for _image_id, path, _lesion in items:
        data = path.read_bytes()
        prints.append(perceptual.fingerprint(data))
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
        for kind, copy in copies(image, rng).items():
            copy_prints.setdefault(kind, []).append(perceptual.fingerprint(copy))
    per_print = (time.perf_counter() - started) / (len(items) * (1 + len(copy_prints))) * 1000
    print(f"images: {len(items)} originals, {len(copy_prints)} copies of each")
    print(f"fingerprint: {per_print:.1f} ms per image (decode + 20 DCT hashes)")
    print("recall (copy matched to its original):")
    total_hits = total = 0
    for kind, found in copy_prints.items():
        hits = sum(
            perceptual.compare(c, o).is_near_duplicate for c, o in zip(found, prints, strict=True)
        )
        total_hits, total = total_hits + hits, total + len(found)
        print(f"  {kind:16s} {hits / len(found):7.2%}  ({hits}/{len(found)})")
    print(f"  {'all copies':16s} {total_hits / total:7.2%}  ({total_hits}/{total})")
    false_pos = distinct = same_lesion = same_lesion_hits = 0
    flagged = []
    for i, j in itertools.combinations(range(len(items)), 2):
        hit = perceptual.compare(prints[i], prints[j]).is_near_duplicate
        if items[i][2] == items[j][2]:
            same_lesion += 1
            same_lesion_hits += hit
            continue
        distinct += 1
        if hit:
            false_pos += 1
            flagged.append((items[i][0], items[j][0]))
    print(
        f"false positives on distinct images: {false_pos}/{distinct} pairs = "
        f"{false_pos / distinct:.4%} (per pair); expected false candidates per lookup at "
        f"100,000 stored images: {false_pos / distinct * 100_000:.1f}"
    )
    if flagged:
        print("  flagged distinct pairs:", ", ".join(f"{a}~{b}" for a, b in flagged[:10]))
    if same_lesion:
        print(
            f"another photograph of the same lesion (HAM10000 lesion_id) flagged: "
            f"{same_lesion_hits}/{same_lesion} pairs"
        )
    return prints, copy_prints


def _noisy(prints: perceptual.Fingerprint, rng: random.Random) -> perceptual.Fingerprint:
    out = []
    for h in prints:
        # AND of two random words: each bit set with probability 1/4 (16 of 64, 64 of 256).
        coarse = h.coarse ^ (rng.getrandbits(64) & rng.getrandbits(64))
        fine = int.from_bytes(h.fine, "big") ^ (rng.getrandbits(256) & rng.getrandbits(256))
        out.append(perceptual.RegionHash(h.region, coarse, fine.to_bytes(32, "big")))
    return tuple(out)


def lookup_cost(database_url: str, sizes: list[int], prints, copy_prints, seed: int) -> None:
    from benchdb import django_on

    with tempfile.TemporaryDirectory(prefix="pixgen-bench-nd-") as var_dir:
        django_on(database_url, var_dir)
        from django.db import connection
        from django.db.models import Q

        from repository.models import PerceptualHash
        from repository.services.near_duplicates import (
            _band_query,
            fingerprint_rows,
            near_duplicate_search,
        )

        PerceptualHash.objects.filter(origin="bench").delete()
        rng = random.Random(seed)
        stored = 0
        queries = [c for found in copy_prints.values() for c in found]
        rng.shuffle(queries)
        queries = queries[:200]
        for size in sizes:
            started = time.perf_counter()
            while stored < size:
                batch = []
                for _ in range(min(1000, size - stored)):
                    source = prints[stored % len(prints)]
                    fp = source if stored < len(prints) else _noisy(source, rng)
                    batch.append((stored, fp))
                    stored += 1
                rows = [
                    r for object_id, fp in batch for r in fingerprint_rows("bench", object_id, fp)
                ]
                PerceptualHash.objects.bulk_create(rows, batch_size=5000)
            with connection.cursor() as cur:
                cur.execute("ANALYZE repository_perceptualhash")
            fill = time.perf_counter() - started
            rows = PerceptualHash.objects.count()
            timings, touched, found = [], [], 0
            for query in queries:
                t0 = time.perf_counter()
                result = near_duplicate_search(prints=query)
                timings.append((time.perf_counter() - t0) * 1000)
                found += bool(result)
                centre = [h for h in query if h.region == 0]
                windows = [h for h in query if h.region != 0]
                q = _band_query(centre) | (Q(region=0) & _band_query(windows))
                touched.append(PerceptualHash.objects.filter(q).count())
            timings.sort()
            print(
                f"lookup at {size:,} stored images ({rows:,} hash rows, filled in {fill:.0f} s): "
                f"median {statistics.median(timings):.1f} ms, "
                f"p95 {timings[int(0.95 * (len(timings) - 1))]:.1f} ms; band query touched "
                f"median {statistics.median(touched):.0f} rows of {rows:,} "
                f"({statistics.median(touched) / rows:.3%}); {found}/{len(queries)} copies found"
            )
        PerceptualHash.objects.filter(origin="bench").delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=718, help="originals used (718 = all)")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/pixgen_bench_neardup"
    )
    parser.add_argument("--no-db", action="store_true", help="skip the lookup-cost part")
    args = parser.parse_args()
    print(
        f"thresholds: coarse <= {perceptual.COARSE_MAX}/64 bits, fine <= "
        f"{perceptual.FINE_MAX}/256 bits; bands {perceptual.BANDS}x{perceptual.BAND_BITS} "
        f"bits, radius {perceptual.BAND_RADIUS}"
    )
    prints, copy_prints = accuracy(args.limit, args.seed)
    if not args.no_db:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        lookup_cost(args.database_url, sizes, prints, copy_prints, args.seed)


if __name__ == "__main__":
    main()
