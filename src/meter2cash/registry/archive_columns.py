"""The columns of the archive files (档案导入导出), one list per kind of file.

This is a public contract, documented column by column in docs/archive-files.md. Import reads
these headers (English keys, or the Chinese header shown here); export writes them in this order,
so an exported file imports again unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    required: bool
    meaning: str


ROUTE_BOOK_COLUMNS: tuple[Column, ...] = (
    Column("code", "抄表段编号", True, "route book code, unique"),
    Column("name", "抄表段名称", True, "route book name"),
    Column("reading_day", "抄表例日", True, "day of month the book is read, 1–28"),
    Column("reader", "抄表员", False, "username of the meter reader in charge"),
)

AREA_COLUMNS: tuple[Column, ...] = (
    Column("code", "台区编号", True, "transformer area code, unique"),
    Column("name", "台区名称", True, "transformer area name"),
    Column("capacity_kva", "变压器容量kVA", True, "transformer capacity in kVA, > 0"),
    Column("supply_meter_no", "总表表号", False, "the area's supply-side meter (台区总表) number"),
    Column("supply_meter_address", "总表通信地址", False, "its DL/T 645 address, 12 digits"),
    Column("supply_comm_endpoint", "总表通信端点", False, "host:port of its gateway"),
    Column("supply_ct_ratio", "总表CT变比", False, "CT ratio of the supply meter, default 1"),
    Column("supply_pt_ratio", "总表PT变比", False, "PT ratio of the supply meter, default 1"),
    Column("supply_installed_on", "总表装表日期", False, "date the supply meter was installed"),
    Column("supply_start_total", "总表装表示数", False, "its total register at installation"),
)

ACCOUNT_COLUMNS: tuple[Column, ...] = (
    Column("account_no", "户号", True, "account number, unique"),
    Column("customer_code", "客户编号", True, "customer code; one customer may hold several accounts"),
    Column("customer_name", "客户名称", True, "customer name"),
    Column("phone", "联系电话", False, "phone number"),
    Column("address", "用电地址", False, "supply address"),
    Column("category", "用电类别", True, "residential | general | large_industry | agriculture"),
    Column("voltage_level", "电压等级", True, "220V | 380V | 10kV | 35kV | 110kV | 220kV"),
    Column("contract_capacity_kva", "合同容量kVA", True, "contract capacity in kVA, >= 0"),
    Column("pf_standard", "力率标准", True, "0.90 | 0.85 | 0.80 | none"),
    Column("payment_mode", "缴费方式", True, "postpaid | smart_prepaid | card_prepaid"),
    Column("important", "重要用户", False, "yes/no (是/否), default no"),
    Column("low_income", "低保五保", False, "yes/no (是/否), default no"),
    Column("route_book", "抄表段", True, "route book code (must exist)"),
    Column("transformer_area", "台区", True, "transformer area code (must exist)"),
    Column("opened_on", "立户日期", True, "date the account opened, YYYY-MM-DD"),
    Column("service_point", "计量点编号", True, "service point code, unique"),
    Column("meter_no", "表号", True, "meter number, unique"),
    Column("meter_address", "通信地址", True, "DL/T 645 address, 12 digits"),
    Column("comm_endpoint", "通信端点", False, "host:port of the meter's gateway; empty if none"),
    Column("ct_ratio", "CT变比", True, "current transformer ratio, > 0"),
    Column("pt_ratio", "PT变比", True, "voltage transformer ratio, > 0"),
    Column("integer_digits", "整数位数", True, "register integer digits, 4–8"),
    Column("decimal_digits", "小数位数", True, "register decimal digits, 0–4"),
    Column("tou_registers", "分时寄存器", False, "time-of-use registers, e.g. sharp|peak|flat|valley"),
    Column("installed_on", "装表日期", True, "date the meter was installed, >= opened_on"),
    Column("start_total", "装表示数总", True, "total register at installation"),
    Column("start_sharp", "装表示数尖", False, "sharp register at installation"),
    Column("start_peak", "装表示数峰", False, "peak register at installation"),
    Column("start_flat", "装表示数平", False, "flat register at installation"),
    Column("start_valley", "装表示数谷", False, "valley register at installation"),
    Column("tariff_code", "电价代码", True, "tariff catalog code"),
    Column("tariff_from", "电价生效日期", True, "date the tariff applies from"),
    # Added later (optional, so files written before them still import): the two-part contract
    # (两部制), losses for meters not at the ownership boundary (高供低计) and 套扣.
    Column(
        "basic_charge_by",
        "基本电费计收方式",
        False,
        "two-part basic charge by capacity | contract_demand | actual_demand; default capacity",
    ),
    Column("contract_demand_kw", "合同需量kW", False, "contract maximum demand in kW, > 0"),
    Column("transformer_loss_kwh", "月变损kWh", False, "monthly transformer active loss in kWh, >= 0"),
    Column(
        "transformer_loss_kvarh", "月无功变损kvarh", False, "monthly transformer reactive loss in kvarh, >= 0"
    ),
    Column("line_loss_kwh", "月线损kWh", False, "monthly line loss in kWh, >= 0"),
    Column("master_account_no", "总表户号", False, "套扣: account number of the master meter's account"),
)

ENERGY_SPLIT_COLUMNS: tuple[Column, ...] = (
    Column("account_no", "户号", True, "account number (must exist)"),
    Column("tariff_code", "电价代码", True, "tariff the split-off energy is priced at"),
    Column("kwh", "定量kWh", False, "定量: fixed kWh per month, > 0"),
    Column("ratio", "定比", False, "定比: share of the energy, > 0 and <= 1"),
    Column("effective_from", "生效日期", True, "date the split applies from"),
    Column("effective_to", "失效日期", False, "date the split ends (exclusive); empty = open-ended"),
)

COLUMNS_BY_KIND: dict[str, tuple[Column, ...]] = {
    "route-books": ROUTE_BOOK_COLUMNS,
    "areas": AREA_COLUMNS,
    "accounts": ACCOUNT_COLUMNS,
    "energy-splits": ENERGY_SPLIT_COLUMNS,
}
