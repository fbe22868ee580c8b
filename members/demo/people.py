"""Names and phone numbers for demo people, drawn from the catalogue with a seeded Random."""

import random

from .catalogue import FEMALE_GIVEN, MALE_GIVEN, PHONE_PREFIXES, SURNAMES

# Multiplying by a number coprime with 10^8 permutes the 8-digit phone bodies: unique, scattered.
_PHONE_STRIDE = 48_271_207


def person_name(rng: random.Random, gender: str) -> str:
    given = FEMALE_GIVEN if gender != "M" else MALE_GIVEN
    name = rng.choice(SURNAMES) + rng.choice(given)
    if rng.random() < 0.6:
        name += rng.choice(given)
    return name


class PhoneBook:
    """Hands out distinct mainland mobile numbers, spread over the prefixes (n < 9e8)."""

    def __init__(self, rng: random.Random):
        self.offset = rng.randrange(10**8)
        self.prefixes = PHONE_PREFIXES[:]
        rng.shuffle(self.prefixes)

    def number(self, n: int) -> str:
        # (n mod prefixes, n * stride mod 10^8) repeats only after lcm(prefixes, 10^8) numbers.
        prefix = self.prefixes[n % len(self.prefixes)]
        body = (n * _PHONE_STRIDE + self.offset) % 10**8
        return f"{prefix}{body:08d}"
