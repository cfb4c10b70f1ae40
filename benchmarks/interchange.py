"""Time and peak memory of `dealbook import` (dry run, apply, re-import) and `dealbook export` at 50,000 rows.

    python benchmarks/interchange.py [--rows 50000] [--out benchmarks/data/interchange]

Builds a 客户信息总表-style workbook of ROWS customers (Chinese headers, serial dates, 万 amounts)
and a follow-up sheet of ROWS rows, imports both into a fresh records repo, re-imports the
customers (nothing changes), then exports every format. Each step runs as its own process;
CPU is that process's user + system time (its workers included), peak memory its maximum
resident set size. The load average is printed before and after: on a shared machine compare
CPU seconds. Targets: ≤ 30 s and ≤ 500 MB a step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

CITIES = [("深圳", "广东 深圳"), ("广州", "广东 广州"), ("杭州", "浙江 杭州"), ("苏州", "江苏 苏州"),
          ("成都", "四川 成都")]
WORDS = "华信达科创智联恒泰精密电子新材料软件数据云图安盛博远天成"
INDUSTRIES = ["C3970 电子器件制造", "I6510 软件开发", "C3420 金属加工机械制造", "F5179 其他机械设备批发"]
STATUSES = ["线索", "意向", "方案", "线索", "意向"]
CHANNELS = ["展会", "转介绍", "官网", "陌拜", "线上推广"]
TEAM = """members:
  - {handle: zhang, name: 张伟, role: rep}
  - {handle: li, name: 李娜, role: rep}
  - {handle: chen, name: 陈静, role: manager}
"""


def build_sheets(folder: str, rows: int) -> tuple[str, str]:
    from openpyxl import Workbook

    rng = random.Random(7)
    customers = Workbook(write_only=True)
    sheet = customers.create_sheet("客户信息总表")
    sheet.append(["客户名称", "所属行业", "客户规模", "所在地区", "联系人姓名及职务", "联系方式", "需求描述",
                  "来源渠道", "负责人", "建档日期", "客户状态", "预算", "预算状态"])
    names = []
    # 建档日期 spread over 2000–2024: the id rule allows 999 customers per province, industry and year
    for i in range(rows):
        city, region = CITIES[i % len(CITIES)]
        name = f"{city}{''.join(rng.choice(WORDS) for _ in range(4))}{i:05d}有限公司"
        names.append(name)
        sheet.append([name, INDUSTRIES[i % 4], "100-500人 / 1-5亿", region, "李明(生产经理)",
                      f"0755-{8800_0000 + i}", "质检效率低,希望缩短30%", CHANNELS[i % 5], ["张伟", "李娜"][i % 2],
                      36526 + (i * 97) % 9000, STATUSES[i % 5], f"{10 + i % 50}-{80 + i % 50}万", "部分明确"])
    customers_path = os.path.join(folder, "customers.xlsx")
    customers.save(customers_path)
    followups = Workbook(write_only=True)
    sheet = followups.create_sheet("销售跟进记录表")
    sheet.append(["跟进日期", "客户名称", "联系人", "跟进方式", "跟进主题/内容", "客户反馈", "下一步计划", "完成时限",
                  "跟进人"])
    start = dt.datetime(2024, 5, 1, 9, 0)
    for i in range(rows):
        at = start + dt.timedelta(minutes=7 * i)
        due = (at + dt.timedelta(days=3)).date()
        sheet.append([at, names[i], "李明", "电话", "介绍方案", "价格偏高", "发送案例", due, ["张伟", "李娜"][i % 2]])
    followups_path = os.path.join(folder, "followups.xlsx")
    followups.save(followups_path)
    return customers_path, followups_path


def measure(label: str, args: list[str], repo: str) -> tuple[float, float, float]:
    command = [sys.executable, "-m", "dealbook", "--repo", repo, *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory and CPU
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    peak_mb = usage.ru_maxrss / 1024  # Linux reports kilobytes
    cpu = usage.ru_utime + usage.ru_stime
    last = (output.strip().splitlines() or [""])[-1][:90]
    verdict = "ok" if seconds <= 30 and peak_mb <= 500 else "OVER TARGET"
    print(f"{label:<28} {seconds:7.1f} s {cpu:7.1f} s {peak_mb:8.0f} MB  {verdict:<11} {last}", flush=True)
    if process.returncode not in (0, 1):
        print(errors[-2000:], file=sys.stderr)
    return seconds, cpu, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--out", default=os.path.join("benchmarks", "data", "interchange"))
    options = parser.parse_args()
    shutil.rmtree(options.out, ignore_errors=True)
    repo = os.path.join(options.out, "repo")
    os.makedirs(os.path.join(repo, "records"))
    with open(os.path.join(repo, "records", "team.yaml"), "w", encoding="utf-8") as handle:
        handle.write(TEAM)
    with open(os.path.join(repo, "dealbook.yaml"), "w", encoding="utf-8") as handle:
        handle.write("as_of: 2024-06-01\n")
    started = time.perf_counter()
    customers, followups = build_sheets(options.out, options.rows)
    print(f"built two {options.rows:,}-row workbooks in {time.perf_counter() - started:.1f} s "
          f"({os.path.getsize(customers) / 1e6:.1f} MB, {os.path.getsize(followups) / 1e6:.1f} MB)", flush=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'step':<28} {'wall':>9} {'CPU':>9} {'peak':>11}")
    rejects = ["--rejects", os.path.join(options.out, "rejects.csv")]
    measure("import customers (dry run)", ["import", customers, *rejects], repo)
    measure("import customers --apply", ["import", customers, "--apply", *rejects], repo)
    measure("re-import customers", ["import", customers, *rejects], repo)
    measure("import follow-ups --apply", ["import", followups, "--apply", *rejects], repo)
    for fmt, target in (("xlsx", "export.xlsx"), ("csv", "export-csv"), ("sqlite", "export.sqlite"),
                        ("json", "export.json")):
        measure(f"export {fmt}", ["export", "--format", fmt, "--out", os.path.join(options.out, target)], repo)
    measure("re-import exported xlsx", ["import", os.path.join(options.out, "export.xlsx"), *rejects], repo)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
