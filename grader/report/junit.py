"""JUnit XML for CI dashboards: one ``testsuite`` per submission, one ``testcase`` per check.

A check that failed is a ``failure``, one whose code raised or did not finish
is an ``error`` (with the student's traceback), a skipped one is
``skipped``. Text is escaped by ElementTree; characters XML cannot hold at
all (control characters from a student's output) are written as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Sequence

from ..results import CheckResult, SubmissionResult

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids replaced by ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def junit_xml(results: Sequence[SubmissionResult]) -> str:
    """The JUnit XML document of ``results``."""
    root = ET.Element("testsuites", name="grader")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    seconds = 0.0
    for result in results:
        suite = _suite(result)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        seconds += float(suite.get("time", "0"))
    root.attrib.update({k: str(v) for k, v in totals.items()})
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(result: SubmissionResult) -> ET.Element:
    statuses = [c.status for c in result.checks]
    seconds = result.timing.get("total")
    suite = ET.Element("testsuite", {
        "name": xml_safe(result.submission), "tests": str(len(statuses)),
        "failures": str(statuses.count("fail")), "errors": str(statuses.count("error")),
        "skipped": str(statuses.count("skipped")),
        "time": f"{seconds:.3f}" if isinstance(seconds, (int, float)) else "0.000"})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("score", result.score), ("max_score", result.max_score)):
        ET.SubElement(properties, "property", name=name, value=f"{value:g}")
    if result.error:
        ET.SubElement(properties, "property", name="error", value=xml_safe(result.error))
    for check in result.checks:
        suite.append(_case(result.submission, check))
    return suite


def _case(submission: str, check: CheckResult) -> ET.Element:
    case = ET.Element("testcase", classname=xml_safe(submission), name=check.id)
    message = xml_safe(check.message.splitlines()[0] if check.message else check.status)
    if check.status == "fail":
        failure = ET.SubElement(case, "failure", message=message, type="WrongAnswer")
        failure.text = xml_safe(check.message)
    elif check.status == "error":
        kind = check.error.type if check.error else "Error"
        error = ET.SubElement(case, "error", message=message, type=xml_safe(kind))
        trace = f"\n\n{check.error.traceback}" if check.error and check.error.traceback else ""
        error.text = xml_safe(check.message + trace)
    elif check.status == "skipped":
        ET.SubElement(case, "skipped", message=message)
    return case
