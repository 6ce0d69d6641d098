#!/usr/bin/env python3
"""Writes examples/data/month.jsonl: a month of complaints (2026-03) at 锦绣花园.

A made-up but realistic residential project: 12 buildings, 2 entrances (单元) each, 28 floors,
3 homes a floor (about 2,000 households). The stream follows rules/complaint.yaml: every line
is an event the flow accepts in the state the case is in then, so the demo is clean (no bad
lines, no refused events). Time limits are missed on purpose in a share of the cases, so that
the timers have something to do:

  - most complaints are minor; about one in eight is major at intake;
  - some units answer later than 1 hour, some minor complaints get no feedback within 24 hours;
  - some major complaints have no agreed solution after 12 hours (escalation, follow-ups);
  - some cases stay open more than 10 days (reclassified major by the 10-day timer);
  - some revisits are late, some customers are still dissatisfied (the case is reopened);
  - some complaints are unreasonable and are explained and closed;
  - a few places get three or more complaints about the same problem (for the alarm rule).

Cases received late in the month are still open at its end: their later events are not in the
file. The 10-day timer is the only timer whose effect on the case the generator has to mirror
(it makes the case major, which changes who revisits and requires an agreed solution).

Deterministic: fixed seed, standard library only. Run from anywhere:
    python3 examples/data/gen_month.py            # writes month.jsonl beside this script
    python3 examples/data/gen_month.py -o out.jsonl
"""

import argparse
import json
import os
import random
from datetime import datetime, timedelta, timezone

SEED = 20260301
TZ = timezone(timedelta(hours=8))
MONTH_START = datetime(2026, 3, 1, tzinfo=TZ)
MONTH_END = datetime(2026, 4, 1, tzinfo=TZ)  # exclusive
PROJECT = "锦绣花园"

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

OPEN_STATES = {"received", "assigned", "planned", "dispatched"}

# Receivers (接待人) work two shifts at the customer centre, 08:00-14:00 and 14:00-20:00.
EARLY_SHIFT = ["李娜", "王芳", "陈静"]
LATE_SHIFT = ["张敏", "刘洋", "杨雪"]


def area_manager(building_no):
    """片区经理 by area: buildings 1-4, 5-8, 9-12."""
    return ["赵刚", "孙伟", "周强"][(building_no - 1) // 4]


# category -> (unit, [descriptions], measures, resolution)
CATEGORIES = {
    "噪音扰民": ("保安部", ["楼上夜间噪音影响休息", "小区广场舞音响声音过大", "空调外机噪音大"],
             "安排保安上门沟通劝导，夜间加强巡查", "已上门劝导，噪音问题已消除"),
    "装修扰民": ("保安部", ["邻居装修周末中午施工", "装修垃圾堆放在楼道", "装修电钻声音影响老人休息"],
             "核查装修许可及施工时间，责令整改", "已责令装修户按规定时段施工并清理垃圾"),
    "电梯故障": ("电梯维保单位", ["电梯频繁停运", "电梯运行异响", "电梯按键失灵"],
             "维保单位到场检修，更换故障部件", "电梯已检修完毕，运行正常"),
    "漏水渗水": ("工程维修部", ["卫生间顶棚渗水", "外墙渗水导致墙面发霉", "地下车库顶板漏水"],
             "工程维修部上门查找渗漏点并维修", "渗漏点已封堵，墙面已修复"),
    "房屋质量": ("工程经理部", ["客厅墙面开裂", "窗户密封不严漏风", "地面空鼓"],
             "工程经理部组织施工单位上门查验并返修", "施工单位已返修完毕，经物业验收合格"),
    "卫生保洁": ("保洁部", ["楼道卫生差无人清扫", "垃圾清运不及时有异味", "电梯轿厢有异味"],
             "保洁部加派人员清扫并调整清运频次", "已清扫完毕，清运频次已调整"),
    "绿化养护": ("绿化部", ["草坪长期未修剪", "树枝遮挡窗户影响采光", "绿化带蚊虫多"],
             "绿化部安排修剪及消杀", "已完成修剪和消杀"),
    "停车管理": ("保安部", ["私家车位被他人占用", "地库道闸经常故障", "外来车辆乱停堵塞通道"],
             "保安部核查车辆并加强巡查，联系维修道闸", "占位车辆已挪走，已加强巡查"),
    "安保门禁": ("保安部", ["门禁卡经常失灵", "陌生人随意进出单元门", "夜间巡逻不到位"],
             "保安部检修门禁并加强门岗管理", "门禁已检修，门岗登记已加强"),
    "公共设施": ("工程维修部", ["楼道灯长期不亮", "单元门闭门器损坏", "儿童游乐设施破损"],
             "工程维修部更换维修损坏设施", "损坏设施已维修更换"),
    "维修不及时": ("工程维修部", ["报修三天无人上门", "维修后问题反复出现", "维修人员未按约定时间上门"],
              "工程维修部主管跟进，当日安排上门", "已上门维修完毕"),
    "服务态度": ("品质部", ["客服接电话态度差", "维修人员服务态度差", "保安说话态度生硬"],
             "品质部核实并对相关人员进行培训考核", "已核实并对相关人员进行处理，向客户致歉"),
    "宠物扰民": ("保安部", ["邻居家狗夜间吠叫", "宠物粪便无人清理", "遛狗不牵绳"],
             "保安部上门宣传文明养宠并加强巡查", "已上门沟通，养宠户承诺整改"),
    "交房承诺": ("销售部", ["交房配置与合同不符", "会所未按承诺开放", "小区配套幼儿园迟迟未开"],
             "销售部核实合同约定并给出答复方案", "销售部已按合同约定完成整改"),
}
CATEGORY_WEIGHTS = {
    "噪音扰民": 12, "装修扰民": 8, "电梯故障": 8, "漏水渗水": 10, "房屋质量": 6, "卫生保洁": 12,
    "绿化养护": 5, "停车管理": 12, "安保门禁": 7, "公共设施": 9, "维修不及时": 8, "服务态度": 5,
    "宠物扰民": 6, "交房承诺": 2,
}
# Major at intake: the kinds of case that meet (A)-(C) of the domain brief.
MAJOR_DESCRIPTIONS = {
    "漏水渗水": "楼上住户水管爆裂，家中吊顶及木地板被泡，无法正常居住",
    "电梯故障": "电梯困人40分钟，老人受到惊吓送医",
    "房屋质量": "多次报修外墙渗水仍未解决，卧室无法使用",
    "公共设施": "儿童游乐设施螺丝松脱，孩子摔伤",
    "交房承诺": "合同约定的地暖未安装，多次交涉无果",
    "安保门禁": "家中被盗，怀疑门禁及监控失效",
}
UNREASONABLE = [
    ("物业费争议", "对物业费收费标准有异议", "物业费按合同约定及物价部门备案标准收取，已向客户出示备案文件并耐心解释"),
    ("噪音扰民", "邻居白天正常装修有声音", "邻居在允许施工时段内施工，符合装修管理规定，已向客户解释并请其谅解"),
    ("停车管理", "要求在消防通道长期停车", "消防通道严禁停车，已向客户解释消防规定并推荐临时车位"),
    ("安保门禁", "要求物业赔偿放在楼道的私人物品丢失", "楼道为公共区域，私人物品不应存放，已向客户解释并协助调取监控"),
    ("绿化养护", "要求砍掉楼前大树", "树木属小区公共绿化，砍伐需业主大会同意并报园林部门审批，已向客户解释"),
]
# Places with repeated complaints about the same problem this month (for the alarm principle,
# domain section 4): (category, building number, description, how many).
CLUSTERS = [
    ("电梯故障", 7, "7号楼2单元电梯频繁停运", 4),
    ("漏水渗水", 3, "3号楼地下车库顶板漏水", 3),
    ("停车管理", 10, "10号楼地库道闸经常故障", 3),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
CHANNELS = [("电话", 50), ("微信", 25), ("前台", 15), ("APP", 10)]


def pick(rng, weighted):
    items = list(weighted.items()) if isinstance(weighted, dict) else weighted
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def office(t, rng):
    """The next moment staff are at work (08:00-20:00), a little after it starts if needed."""
    if t.hour < 8:
        return t.replace(hour=8, minute=rng.randint(0, 40), second=0)
    if t.hour >= 20:
        return (t + DAY).replace(hour=8, minute=rng.randint(0, 40), second=0)
    return t


def minutes(rng, lo, hi):
    return timedelta(minutes=rng.randint(lo, hi))


class Case:
    """Collects the events of one case and tracks what the flow needs to accept them."""

    def __init__(self, cid, t0, rng):
        self.cid = cid
        self.rng = rng
        self.t0 = t0
        self.deadline = t0 + 10 * DAY  # unresolved_10d fires then
        self.deadline_seen = False
        self.state = "received"
        self.level = "unclassified"
        self.agreed = False
        self.lines = []
        self.last = t0

    def _append(self, t, event, data, flow=False):
        t = max(t.replace(second=0, microsecond=0), self.last)
        line = {"at": t, "case": self.cid}
        if flow:
            line["flow"] = "complaint"
        line["event"] = event
        line["data"] = data
        self.lines.append(line)
        self.last = t
        return t

    def _become_major(self, at):
        """The flow has just made the case major at `at`: the area manager reports it."""
        self.level = "major"
        late = self.rng.random() < 0.1
        self._append(at + (minutes(self.rng, 12, 40) if late else minutes(self.rng, 2, 9)),
                     "report", {})

    def at(self, t):
        """Mirror the 10-day timer before something happens at t; returns a time not before
        anything already in the case."""
        t = t.replace(second=0, microsecond=0)  # the stream is to the minute
        if not self.deadline_seen and t > self.deadline:
            self.deadline_seen = True
            if self.state in OPEN_STATES and self.level != "major":
                self._become_major(self.deadline)
                # The area manager usually agrees a solution in time; otherwise it escalates.
                if not self.agreed and self.rng.random() < 0.7:
                    self.agree(self.deadline + timedelta(hours=self.rng.uniform(1, 11)))
        return max(t, self.last)

    def event(self, t, name, data=None):
        t = self.at(t)
        return self._append(t, name, data or {})

    # --- steps -------------------------------------------------------------------------------

    def create(self, data):
        self._append(self.t0, "create", data, flow=True)

    def classify(self, level, reasonable=True):
        data = {"level": level}
        if not reasonable:
            data["reasonable"] = False
        t = self.event(self.t0, "classify", data)
        self.level = level
        return t

    def agree(self, t):
        # Agreeing on a solution is urgent: by phone in the evening too, not at night.
        if t.hour >= 22 or t.hour < 7:
            t = office(t + 2 * HOUR, self.rng)
        t = self.event(t, "agree")
        self.agreed = True
        return t

    def goto(self, state):
        self.state = state


def build_case(rng, cid, t0, spec):
    """Returns the Case for one complaint, following the kind of case `spec` describes."""
    b = spec["building"]
    c = Case(cid, t0, rng)
    receiver = rng.choice(EARLY_SHIFT if t0.hour < 14 else LATE_SHIFT)
    manager = area_manager(b)
    c.create({
        "category": spec["category"],
        "description": spec["description"],
        "building": f"{b}号楼",
        "room": spec["room"],
        "customer": spec["customer"],
        "channel": spec["channel"],
        "receiver": receiver,
        "area_manager": manager,
    })
    kind = spec["kind"]
    unit = spec["unit"]

    # 不合理投诉 found at intake: explained and closed, sometimes only the next day.
    if kind == "unreasonable":
        c.classify("minor", reasonable=False)
        late = rng.random() < 0.1
        t = t0 + (timedelta(hours=rng.uniform(25, 30)) if late else timedelta(hours=rng.uniform(0.5, 8)))
        c.event(office(t, rng), "explain_and_close", {"explanation": spec["explanation"]})
        c.goto("closed")
        return c

    level = "major" if kind == "major" else "minor"
    t = c.classify(level)
    if level == "major":
        late = rng.random() < 0.1
        c.event(t0 + (minutes(rng, 12, 40) if late else minutes(rng, 2, 9)), "report")

    # 分派, sometimes 改派 after the unit disputes it.
    t = c.event(t + minutes(rng, 3, 20), "assign", {"unit": unit})
    c.goto("assigned")
    if rng.random() < 0.04:
        other = rng.choice([u for u in ("工程维修部", "保安部", "保洁部", "工程经理部") if u != unit])
        t = c.event(t + minutes(rng, 20, 50), "assign", {"unit": other})
        unit = other

    # Minor: feedback to the customer, usually within a few hours; sometimes forgotten.
    feedback_at = None
    if level == "minor" and rng.random() > 0.08:
        feedback_at = office(t0 + timedelta(hours=rng.uniform(0.5, 7)), rng)
        if rng.random() < 0.1:  # late feedback: after the 24h alarm
            feedback_at = office(t0 + timedelta(hours=rng.uniform(25, 32)), rng)

    def maybe_feedback(before):
        nonlocal feedback_at
        if feedback_at is not None and feedback_at <= before:
            if c.state in OPEN_STATES:
                c.event(feedback_at, "feedback")
            feedback_at = None

    # 方案: the unit returns measures within 1 hour (sometimes not).
    def plan(t, reasonable=True):
        late = rng.random() < 0.08
        t = t + (minutes(rng, 65, 200) if late else minutes(rng, 8, 55))
        maybe_feedback(t)
        data = {"measures": CATEGORIES.get(spec["category"], (None, None, "核实情况"))[2]}
        if not reasonable:
            data["reasonable"] = False
        t = c.event(t, "plan", data)
        c.goto("planned")
        return t

    if kind == "unfounded":  # the unit finds the complaint unfounded when it analyses it
        t = plan(t, reasonable=False)
        c.event(office(t + timedelta(hours=rng.uniform(1, 5)), rng), "explain_and_close",
                {"explanation": spec["explanation"]})
        c.goto("closed")
        return c

    rounds = 0
    while True:
        rounds += 1
        t = plan(t)

        # A case staff judge major after intake, e.g. repeated requests did not fix it (A).
        if kind == "upgraded" and rounds == 1:
            tu = office(t + timedelta(hours=rng.uniform(3, 40)), rng)
            maybe_feedback(tu)
            tu = c.event(tu, "reclassify_major", {"reason": spec["reason"]})
            c._become_major(tu)
            t = c.last

        # Major: the solution agreed with the customer, usually within 12 hours of receipt
        # (or of the reopening); otherwise the flow escalates, and follows up until the case closes.
        if c.level == "major" and not c.agreed:
            base = t0 if rounds == 1 and kind == "major" else t
            if rng.random() < 0.15:
                ta = base + timedelta(hours=rng.uniform(13, 60))
            else:
                ta = base + timedelta(hours=rng.uniform(1.5, 8))
            ta = max(ta, t + minutes(rng, 20, 90))
            maybe_feedback(ta)
            t = c.agree(ta)

        # 派单.
        td = office(t + minutes(rng, 5, 90), rng)
        if spec.get("slow") == "planned" and rounds == 1:
            td = t0 + timedelta(days=rng.uniform(10.2, 13))  # waiting for parts or a decision
        td = c.at(td)
        if c.level == "major" and not c.agreed:  # the 10-day timer made it major meanwhile
            td = c.agree(td)
            td += minutes(rng, 10, 60)
        maybe_feedback(td)
        t = c.event(td, "dispatch")
        c.goto("dispatched")

        # 处理完成: hours to days; a few stay open more than 10 days.
        if spec.get("slow") == "dispatched" and rounds == 1:
            tr = t0 + timedelta(days=rng.uniform(10.3, 15))
        elif c.level == "major":
            tr = t + timedelta(hours=rng.uniform(4, 96))
        else:
            tr = t + timedelta(hours=rng.lognormvariate(1.6, 1.0) + 0.5)
        tr = office(tr, rng)
        maybe_feedback(tr)
        t = c.event(tr, "resolve", {"resolution": CATEGORIES.get(spec["category"], (None, None, None, "已处理"))[3]})
        c.goto("resolved")
        feedback_at = None

        # 回访 within 24 hours (sometimes late); who and how depend on the level.
        late = rng.random() < 0.06
        tv = t + (timedelta(hours=rng.uniform(25, 40)) if late else timedelta(hours=rng.uniform(1, 20)))
        tv = c.at(office(tv, rng))
        if tv - t >= timedelta(hours=24) and not late:
            tv = t + timedelta(hours=rng.uniform(1, 3))  # office hours pushed it over: do it sooner
        dissatisfied = rounds == 1 and rng.random() < spec.get("p_dissatisfied", 0.05)
        result = "dissatisfied" if dissatisfied else pick(rng, [("satisfied", 80), ("basically_satisfied", 20)])
        if c.level == "major":
            data = {"by": manager, "channel": "face_to_face", "result": result}
        else:
            data = {"by": receiver, "channel": pick(rng, [("phone", 70), ("wechat", 30)]), "result": result}
        if dissatisfied:
            data["note"] = rng.choice(["问题仍未彻底解决", "处理后问题复发", "对处理结果不认可"])
        t = c.event(tv, "revisit", data)
        if not dissatisfied:
            c.goto("closed")
            return c
        c.goto("assigned")  # reopened: the unit answers again, a major case needs a new agreement
        c.agreed = False


def background_building(rng, recent, category, at):
    """A building for an everyday complaint. The month's repeated problems are the CLUSTERS;
    everyday complaints are kept from piling up by chance (three of one category at one
    building within 30 days), which the alarm principle (rules/alarms.yaml) would rightly flag
    but which would bury the planted clusters under accidental ones."""
    for _ in range(50):
        b = rng.randint(1, 12)
        if sum(1 for t in recent.get((category, b), []) if at - t < timedelta(days=30)) < 2:
            return b
    return None  # every building already had two of these in the last 30 days


def make_specs(rng):
    """The complaints of the month: when they come in and what kind of case each is."""
    specs = []
    day = MONTH_START
    while day < MONTH_END:
        weekend = day.weekday() >= 5
        n = max(0, int(rng.gauss(11 if weekend else 9, 3)))
        for _ in range(n):
            t = day + timedelta(hours=rng.uniform(8, 20))
            specs.append({"at": t.replace(second=0, microsecond=0)})
        day += DAY
    # Repeated complaints about one problem at one place.
    for category, b, description, count in CLUSTERS:
        start = MONTH_START + timedelta(days=rng.uniform(1, 20))
        for _ in range(count):
            t = start + timedelta(days=rng.uniform(0, 9), hours=rng.uniform(8, 20))
            t = t.replace(hour=max(8, min(19, t.hour)), second=0, microsecond=0)
            specs.append({"at": t, "cluster": (category, b, description)})
    specs.sort(key=lambda s: s["at"])

    recent = {}  # (category, building) -> when complaints about it came in
    for s in specs:
        r = rng.random()
        if "cluster" in s:
            category, b, description = s.pop("cluster")
            s.update(kind="minor", category=category, building=b, description=description)
        elif r < 0.05:
            category, description, explanation = rng.choice(UNREASONABLE)
            s.update(kind="unreasonable", category=category, description=description, explanation=explanation)
        elif r < 0.07:
            category = pick(rng, CATEGORY_WEIGHTS)
            s.update(kind="unfounded", category=category, description=rng.choice(CATEGORIES[category][1]),
                     explanation="经" + CATEGORIES[category][0] + "现场核实，情况不属实，已向客户说明核实结果")
        elif r < 0.19:
            category = rng.choice(list(MAJOR_DESCRIPTIONS))
            s.update(kind="major", category=category, description=MAJOR_DESCRIPTIONS[category],
                     p_dissatisfied=0.1)
        elif r < 0.21:
            category = rng.choice(["漏水渗水", "房屋质量", "维修不及时", "电梯故障"])
            s.update(kind="upgraded", category=category, description=rng.choice(CATEGORIES[category][1]),
                     reason=rng.choice(["多次报修仍未解决（A类）", "邻户原因影响正常居住（B类）"]))
        else:
            category = pick(rng, CATEGORY_WEIGHTS)
            s.update(kind="minor", category=category, description=rng.choice(CATEGORIES[category][1]))
            if r > 0.975:
                s["slow"] = "dispatched"
            elif r > 0.965:
                s["slow"] = "planned"
        if "building" not in s:
            b = background_building(rng, recent, s["category"], s["at"])
            # An everyday minor complaint takes another category rather than start a cluster.
            for _ in range(20):
                if b is not None or s["kind"] != "minor":
                    break
                s["category"] = pick(rng, CATEGORY_WEIGHTS)
                s["description"] = rng.choice(CATEGORIES[s["category"]][1])
                b = background_building(rng, recent, s["category"], s["at"])
            s["building"] = b if b is not None else rng.randint(1, 12)
        recent.setdefault((s["category"], s["building"]), []).append(s["at"])
        s["unit"] = CATEGORIES.get(s["category"], ("客户中心",))[0]
        entrance, floor, home = rng.randint(1, 2), rng.randint(2, 28), rng.randint(1, 3)
        s["room"] = f"{entrance}-{floor}{home:02d}"
        s["customer"] = rng.choice(SURNAMES) + rng.choice(["先生", "女士"])
        s["channel"] = pick(rng, CHANNELS)
    return specs


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default=os.path.join(here, "month.jsonl"))
    args = ap.parse_args()

    rng = random.Random(SEED)
    specs = make_specs(rng)
    lines = []
    for i, spec in enumerate(specs, start=1):
        case = build_case(rng, f"C-{i:04d}", spec["at"], spec)
        for seq, line in enumerate(case.lines):
            if line["at"] < MONTH_END:
                lines.append((line["at"], i, seq, line))
    lines.sort(key=lambda x: x[:3])

    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        for at, _, _, line in lines:
            line = dict(line, at=at.isoformat())
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{args.out}: {len(specs)} cases, {len(lines)} events")


if __name__ == "__main__":
    main()
