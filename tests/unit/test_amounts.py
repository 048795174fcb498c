"""Amounts are read as money only: phones, sizes, dates, times and references are not."""

from __future__ import annotations

import pytest

from domain.classify import ClassRule, amounts_in, classify

NOT_MONEY = [
    "Перезвоните мне: +7 916 123-45-67",
    "Call me 89161234567",
    "Мой номер 8 (916) 123 45 67",
    "+79161234567",
    "whatsapp +44 20 7946 0958",
    "Two windows 1200x1500 mm",
    "Окна 1200х1500 (кириллическая х)",
    "коробки 60×40×40 см",
    "Order ref 12345678",
    "заказ №4521",
    "Номер заказа 778812",
    "invoice 2024-118",
    "артикул 556677",
    "счёт 1234567 от 12.05.2026",
    "Доставка 12.05.2026 в 10:30",
    "deliver on 2026-05-12",
    "Нужна доставка оптом, примерно 20 тонн в месяц в Екатеринбург",
    "дом 12, кв. 45",
    "5 m of cable",
    "с 9 до 18 часов",
    "ticket #99812",
    "ID 100500",
]

MONEY = [
    ("бюджет 600 тысяч", 600_000),
    ("Бюджет 450 тысяч", 450_000),
    ("1,5 млн руб", 1_500_000),
    ("$8k", 8_000),
    ("Budget 1.5 million", 1_500_000),
    ("500 000 руб", 500_000),
    ("бюджет 600000", 600_000),
    ("сумма: 1 200 000", 1_200_000),
    ("около 3 млн рублей", 3_000_000),
    ("2 500 ₽", 2_500),
    ("€1200", 1_200),
    ("price 12,500 USD", 12_500),
    ("300k", 300_000),
    ("100 000 р.", 100_000),
    ("5m budget", 5_000_000),
    ("готовы потратить 700 тыс.", 700_000),
    ("cost about 20,000 dollars", 20_000),
    ("стоимость до 250 т.р.", 250_000),
]


@pytest.mark.parametrize("text", NOT_MONEY)
def test_numbers_that_are_not_money_give_no_amount(text: str) -> None:
    assert amounts_in(text) == []


@pytest.mark.parametrize(("text", "amount"), MONEY)
def test_money_is_read_with_its_scale(text: str, amount: float) -> None:
    assert amounts_in(text) == [amount]


def test_a_range_takes_the_unit_of_its_end() -> None:
    assert amounts_in("от 500 000 до 1,2 млн и 300k") == [500_000, 1_200_000, 300_000]


def test_a_form_amount_field_takes_a_bare_number() -> None:
    assert amounts_in("600000", bare=True) == [600_000]


def test_a_phone_number_does_not_make_a_big_lead() -> None:
    rules = [ClassRule("standard"), ClassRule("big", "senior", 10, min_amount=500_000)]
    assert classify(rules, "Перезвоните мне: +7 916 123-45-67").name == "standard"
    assert classify(rules, "Бюджет 600 тысяч").name == "big"
    assert classify(rules, "hi", fields={"amount": "600000"}).name == "big"
