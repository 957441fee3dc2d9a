"""How a replica's resources follow from a capacity run (bench/sizing.py), on made-up figures."""

import pytest

from bench import sizing


def step(users, p95, cpu, rss, errors=0):
    return {"users": users, "errors": errors, "stroke_to_answer_ms": {"p95": p95}, "server_cpu_cores": cpu, "server_rss_peak_mib": rss}


RUN = {
    "curve": [step(1, 20, 0.02, 190), step(10, 30, 0.2, 200), step(50, 120, 0.6, 230), step(100, 900, 1.0, 260)],
    "idle_sessions": {"mib_per_idle_session": 0.5},
    "idle_sessions_long": {"mib_per_idle_session": 1.0},
}


def test_a_replica_holds_the_most_visitors_within_250_ms():
    assert sizing.sizing(RUN)["visitors_per_replica"] == 50


def test_a_step_with_errors_does_not_count():
    run = {**RUN, "curve": RUN["curve"][:2] + [step(50, 120, 0.6, 230, errors=1)]}
    assert sizing.sizing(run)["visitors_per_replica"] == 10


def test_memory_request_holds_the_peak_and_the_kept_sessions_and_the_limit_one_large_decode():
    # 230 MiB at 50 visitors + 128 kept sessions x 1.0 MiB (the costlier idle session) = 358 -> 384
    result = sizing.sizing(RUN)
    assert (result["memory_request"], result["memory_limit"]) == ("384Mi", "640Mi")


def test_autoscaler_target_is_the_cpu_share_at_70_percent_of_capacity():
    # 35 visitors: between 10 (0.2 core) and 50 (0.6 core) -> 0.45 core -> 45 %
    result = sizing.sizing(RUN)
    assert (result["hpa_target_visitors"], result["hpa_cpu_utilization_pct"]) == (35, 45)


def test_nothing_to_size_from_when_no_step_met_the_target():
    with pytest.raises(ValueError, match="nothing to size from"):
        sizing.sizing({**RUN, "curve": [step(1, 400, 0.1, 190)]})
