"""Complaint detection measured on a labelled set of Russian and English messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.complaint_words import DEFAULT_PHRASES, ComplaintDetector

DATA = Path(__file__).resolve().parents[1] / "data" / "complaints_labelled.tsv"


def labelled() -> list[tuple[bool, str]]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, text = line.split("\t", 1)
            rows.append((label == "1", text))
    return rows


@pytest.fixture(scope="module")
def detector() -> ComplaintDetector:
    return ComplaintDetector.from_phrases(DEFAULT_PHRASES)


def test_precision_and_recall_on_the_labelled_set(detector: ComplaintDetector) -> None:
    rows = labelled()
    assert len(rows) >= 100
    assert any(not label for label, text in rows if "жалюзи" in text)
    found = [(label, detector.is_complaint(text)) for label, text in rows]
    true_positive = sum(1 for label, hit in found if label and hit)
    false_positive = sum(1 for label, hit in found if not label and hit)
    false_negative = sum(1 for label, hit in found if label and not hit)
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / (true_positive + false_negative)
    misses = [text for label, text in rows if label != detector.is_complaint(text)]
    print(f"complaints: precision {precision:.3f}, recall {recall:.3f}, n={len(rows)}; {misses}")
    assert precision >= 0.9, misses
    assert recall >= 0.9, misses


@pytest.mark.parametrize(
    "text", ["жалоба", "жалобу", "жалобой", "недоволен", "недовольна", "верните деньги"]
)
def test_word_forms_match(detector: ComplaintDetector, text: str) -> None:
    assert detector.is_complaint(text)


@pytest.mark.parametrize(
    "text", ["жалюзи", "жалоба не нужна, всё отлично", "no complaints", "претензий нет"]
)
def test_near_misses_do_not(detector: ComplaintDetector, text: str) -> None:
    assert not detector.is_complaint(text)
