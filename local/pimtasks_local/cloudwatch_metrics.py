"""The local stack's metrics sink: the functions' EMF documents into the emulator's CloudWatch, alarms evaluated.

In Lambda an EMF document is a log line that CloudWatch Logs turns into metrics, and CloudWatch evaluates the
alarms on them. Locally the function host hands each document to ``CloudWatchMetricsSink``, which publishes it
with ``PutMetricData`` and then evaluates the alarms that watch exactly that metric (moto stores alarms and
data but never evaluates an alarm). Matching is CloudWatch's: same namespace, name and *exact* dimension set,
so an alarm that names fewer dimensions than the code emits stays quiet here as it would in AWS.

Limits: an alarm is evaluated when a metric it watches is published, so it goes to ALARM but never back to OK
by the passing of time; only ``Statistic`` alarms (no metric math, no percentiles); alarms created after the
first datum of their metric are not seen (the local stack deploys them all before any function runs).
Publishing is best effort: a failure is logged and never fails the invocation (as a lost log line would not in
Lambda).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

LOGGER = logging.getLogger(__name__)

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


@dataclass(frozen=True)
class MetricKey:
    """What identifies a CloudWatch metric: namespace, name and the exact set of dimensions."""

    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]

    def dimension_list(self) -> list[dict[str, str]]:
        return [{"Name": name, "Value": value} for name, value in sorted(self.dimensions)]


def emf_datums(document: Mapping[str, Any]) -> Iterator[tuple[MetricKey, dict[str, Any]]]:
    """Every (metric, PutMetricData datum) an EMF document stands for: one per dimension set, metric and value."""
    directives = document.get("_aws") or {}
    timestamp = dt.datetime.fromtimestamp(int(directives.get("Timestamp", 0)) / 1000, tz=dt.UTC)
    for directive in directives.get("CloudWatchMetrics") or []:
        for dimension_names in directive.get("Dimensions") or [[]]:
            dimensions = frozenset((name, str(document[name])) for name in dimension_names)
            for metric in directive.get("Metrics") or []:
                key = MetricKey(str(directive["Namespace"]), str(metric["Name"]), dimensions)
                values = document.get(metric["Name"])
                for value in values if isinstance(values, list) else [values]:
                    datum: dict[str, Any] = {"MetricName": key.name, "Dimensions": key.dimension_list(),
                                             "Timestamp": timestamp, "Value": float(value),
                                             "Unit": metric.get("Unit") or "None"}
                    if metric.get("StorageResolution"):
                        datum["StorageResolution"] = int(metric["StorageResolution"])
                    yield key, datum


def alarm_watches(alarm: Mapping[str, Any], key: MetricKey) -> bool:
    """Whether ``alarm`` watches exactly metric ``key`` (CloudWatch compares the whole dimension set)."""
    dimensions = frozenset((d["Name"], d["Value"]) for d in alarm.get("Dimensions") or [])
    return (alarm.get("Namespace"), alarm.get("MetricName"), dimensions) == (key.namespace, key.name,
                                                                             key.dimensions)


class CloudWatchMetricsSink:
    """A metrics sink (``pimtasks.observability.MetricsSink``) that publishes to CloudWatch and evaluates alarms."""

    def __init__(self, clients: Callable[[str], Any], *, now: Callable[[], dt.datetime] | None = None) -> None:
        self._clients = clients
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        # Alarms are deployed once, before any function runs: which ones watch a metric is looked up once.
        self._watchers: dict[MetricKey, list[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, document: Mapping[str, Any]) -> None:
        try:
            published = self.publish(document)
            for key in published:
                self.evaluate_alarms(key)
        except (BotoCoreError, ClientError, KeyError, TypeError, ValueError) as exc:
            LOGGER.warning("metrics not published to the emulator's CloudWatch: %s (%s)", exc,
                           json.dumps(document, default=str)[:300])

    def publish(self, document: Mapping[str, Any]) -> set[MetricKey]:
        """``PutMetricData`` for every datum of ``document``; returns the metrics written."""
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        keys: set[MetricKey] = set()
        for key, datum in emf_datums(document):
            by_namespace.setdefault(key.namespace, []).append(datum)
            keys.add(key)
        cloudwatch = self._clients("cloudwatch")
        for namespace, data in by_namespace.items():
            for start in range(0, len(data), 1000):  # PutMetricData takes up to 1,000 datums
                cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start:start + 1000])
        return keys

    def evaluate_alarms(self, key: MetricKey) -> list[str]:
        """Evaluate the alarms on ``key`` now; returns the names of those that went to ALARM."""
        cloudwatch = self._clients("cloudwatch")
        watchers = self._watchers_of(key)
        if not watchers:
            return []
        fired = []
        for alarm in cloudwatch.describe_alarms(AlarmNames=watchers)["MetricAlarms"]:
            if alarm.get("StateValue") == "ALARM" or not alarm.get("Statistic"):
                continue
            breaching = self._breaching_datapoints(alarm, key)
            needed = int(alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods") or 1)
            if len(breaching) < needed:
                continue
            reason = (f"Threshold Crossed: {len(breaching)} datapoint(s) {breaching} "
                      f"{alarm['ComparisonOperator']} {alarm['Threshold']} (evaluated by the local stack)")
            cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="ALARM", StateReason=reason)
            LOGGER.warning("alarm %s: ALARM (%s)", alarm["AlarmName"], reason)
            self._notify(alarm, reason)
            fired.append(str(alarm["AlarmName"]))
        return fired

    def _watchers_of(self, key: MetricKey) -> list[str]:
        with self._lock:
            if key not in self._watchers:
                alarms = self._clients("cloudwatch").describe_alarms_for_metric(
                    Namespace=key.namespace, MetricName=key.name)["MetricAlarms"]
                self._watchers[key] = [str(a["AlarmName"]) for a in alarms if alarm_watches(a, key)]
            return self._watchers[key]

    def _breaching_datapoints(self, alarm: Mapping[str, Any], key: MetricKey) -> list[float]:
        period = int(alarm["Period"])
        statistic = str(alarm["Statistic"])
        now = self._now()
        # The emulator's own filter keeps metrics with *more* dimensions too; the exact match was checked above.
        datapoints = self._clients("cloudwatch").get_metric_statistics(
            Namespace=key.namespace, MetricName=key.name, Dimensions=key.dimension_list(),
            StartTime=now - dt.timedelta(seconds=period * int(alarm.get("EvaluationPeriods") or 1)),
            EndTime=now + dt.timedelta(seconds=60), Period=period, Statistics=[statistic])["Datapoints"]
        compare = _COMPARISONS[str(alarm["ComparisonOperator"])]
        threshold = float(alarm["Threshold"])
        return [float(point[statistic]) for point in datapoints if compare(float(point[statistic]), threshold)]

    def _notify(self, alarm: Mapping[str, Any], reason: str) -> None:
        message = json.dumps({"AlarmName": alarm["AlarmName"], "NewStateValue": "ALARM", "NewStateReason": reason,
                              "AlarmDescription": alarm.get("AlarmDescription")})
        for action in alarm.get("AlarmActions") or []:
            if ":sns:" in action:
                self._clients("sns").publish(TopicArn=action, Subject=f"ALARM: {alarm['AlarmName']}"[:100],
                                             Message=message)
