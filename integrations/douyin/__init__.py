"""Douyin shop (抖店): the open platform's product, stock and order methods, and its message push."""
