"""Palette extraction borrowed from a GPL colour library."""


def quantize(pixels, colours=8):
    return sorted(set(pixels))[:colours]
