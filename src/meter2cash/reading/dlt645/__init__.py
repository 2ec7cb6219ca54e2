"""DL/T 645-2007 (多功能电能表通信协议): a lean codec for mass collection.

- `bcd`: packed BCD numbers as the meter sends them (pure).
- `frame`: frames, addresses, checksums, read requests and replies (pure).
- `identifiers`: the data identifiers (DI, 数据标识) we read and their value formats (pure).
- `readout`: what one meter reading is made of, and the read plan (pure).
- `link`: one TCP connection to a gateway (集中器/串口服务器), requests serialised as on RS-485.
"""
