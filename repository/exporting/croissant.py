"""Croissant 1.0 JSON-LD (https://mlcommons.org/croissant/1.0) describing an export archive:
metadata.csv (with its SHA-256), the image and mask files, and one record per image whose
fields are metadata.csv's columns."""

CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

# Columns that are always filled with whole numbers; nullable numbers are described as text
# so that an empty cell is not a type error for a loader.
INTEGER_COLUMNS = {"id", "width", "height"}

COLUMN_DESCRIPTIONS = {
    "uid": "Catalogue identifier: origin and id (real-12, synthetic-7).",
    "file_name": "Path of the image file inside the archive.",
    "mask_file_name": "Path of the lesion mask inside the archive (empty when none).",
    "file_sha256": "SHA-256 of the image file as written in the archive.",
    "origin": "real (a clinician's photograph) or synthetic (generated, reviewed).",
    "diagnosis": "Diagnosis code from PixGen's controlled vocabulary.",
    "fitzpatrick": "Fitzpatrick skin type 1-6 (the target type for synthetic images).",
    "licence": "SPDX licence identifier of the image.",
    "augmentation": "JSON of the augmentation parameters applied to this file (empty: none).",
}


def croissant(
    *,
    name: str,
    description: str,
    url: str,
    version: str,
    date_published: str,
    cite_as: str,
    licences: list[str],
    columns: list[str],
    metadata_sha256: str,
    image_formats: list[str],
    has_masks: bool,
) -> dict:
    distribution = [
        {
            "@type": "cr:FileObject",
            "@id": "metadata.csv",
            "name": "metadata.csv",
            "description": "One row per image: labels, provenance, file paths and checksums.",
            "contentUrl": "metadata.csv",
            "encodingFormat": "text/csv",
            "sha256": metadata_sha256,
        },
        {
            "@type": "cr:FileSet",
            "@id": "images",
            "name": "images",
            "description": "The image files.",
            "encodingFormat": image_formats or ["image/jpeg"],
            "includes": ["images/**/*.jpg", "images/**/*.png"],
        },
    ]
    if has_masks:
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": "masks",
                "name": "masks",
                "description": "Binary lesion masks (white lesion on black skin), PNG.",
                "encodingFormat": "image/png",
                "includes": "masks/**/*.png",
            }
        )
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"records/{column}",
            "name": column,
            "description": COLUMN_DESCRIPTIONS.get(column, column.replace("_", " ")),
            "dataType": "sc:Integer" if column in INTEGER_COLUMNS else "sc:Text",
            "source": {"fileObject": {"@id": "metadata.csv"}, "extract": {"column": column}},
        }
        for column in columns
    ]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": description,
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": cite_as,
        "creator": {"@type": "sc:Organization", "name": "PixGen"},
        "datePublished": date_published,
        "license": licences if len(licences) != 1 else licences[0],
        "url": url,
        "version": version,
        "keywords": ["dermatology", "skin of colour", "Fitzpatrick IV-VI", "skin lesions"],
        "distribution": distribution,
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": "records",
                "name": "records",
                "description": "One record per image, from metadata.csv.",
                "key": {"@id": "records/uid"},
                "field": fields,
            }
        ],
    }
