"""LICENSES.md: every image grouped by licence, then contributor, with credit lines."""

from repository.exporting.markdown import md_text
from repository.exporting.spec import ArchiveSpec, Tally

LICENCE_NAMES = {
    "CC0-1.0": (
        "CC0 1.0 Universal (public domain dedication)",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC-BY-NC-4.0": (
        "Creative Commons Attribution-NonCommercial 4.0 International",
        "https://creativecommons.org/licenses/by-nc/4.0/",
    ),
}

HAM10000 = (
    'Images from the HAM10000 data set: Tschandl P., Rosendahl C., Kittler H. "The HAM10000\n'
    "dataset, a large collection of multi-source dermatoscopic images of common pigmented skin\n"
    'lesions." Sci. Data 5, 180161 (2018), doi:10.7910/DVN/DBW86T. Licensed CC BY-NC 4.0:\n'
    "non-commercial use only, with this attribution."
)


def licence_url(licence: str) -> str:
    return LICENCE_NAMES.get(licence, (licence, ""))[1]


def _is_ham(notes: list[str], contributor: str) -> bool:
    return any("ham10000" in n.lower() for n in notes) or "ham10000" in contributor.lower()


def licences_md(*, spec: ArchiveSpec, tally: Tally) -> str:
    lines = [
        "# Licences and attribution",
        "",
        "Every image keeps the licence its contributor chose; a synthetic image carries the",
        "licence of the real image it was made from. Credit each contributor as shown below.",
    ]
    for licence in tally.licences:
        name, url = LICENCE_NAMES.get(licence, (licence, ""))
        groups = sorted((c, n) for (lic, c), n in tally.credits.items() if lic == licence)
        total = sum(sum(n.values()) for _c, n in groups)
        # Licence codes and names are PixGen's own, but a stored code is text like any other.
        name, code = md_text(name), md_text(licence)
        lines += ["", f"## {name} ({code})", "", f"Licence text: <{url}>" if url else "", ""]
        lines.append(f"{total} image(s).")
        ham = False
        for contributor, counts in groups:
            who = md_text(contributor) or "PixGen (generated without a single source image)"
            parts = ", ".join(f"{counts[o]} {o}" for o in sorted(counts))
            notes = spec.source_notes.get((licence, contributor), [])
            lines += ["", f"### {who}", "", f"- Images: {parts}"]
            lines.append(
                f'- Credit line: "Images contributed by {who} to PixGen, licensed {code} ({url})."'
            )
            lines += [f"- Source: {md_text(note)}" for note in notes]
            ham = ham or _is_ham(notes, contributor)
        if ham:
            lines += ["", "### Attribution required by the source data set", "", HAM10000]
    return "\n".join(line for line in lines if line is not None) + "\n"
