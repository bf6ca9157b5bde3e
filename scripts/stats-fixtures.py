#!/usr/bin/env python3
"""Reference values for src/modules/metrics/stats, computed with scipy.stats.

Writes src/modules/metrics/stats/fixtures/scipy-reference.json. The TypeScript implementation
uses @stdlib distribution functions; this script uses scipy's, and where scipy offers a second
route to the same number (chi2_contingency for the pooled z-test, ttest_ind on raw samples for
Welch's CI, a numerical integral for the mSPRT mixture) it asserts the two routes agree, so the
fixture does not merely restate the TypeScript formulas.

Run:  apt-get install -y python3-scipy && python3 scripts/stats-fixtures.py
(scipy >= 1.11 also cross-checks Welch CIs against ttest_ind(...).confidence_interval;
Debian 12's 1.10 skips that check and agrees with the committed fixture to ~1e-8.)
Output is deterministic (fixed seeds); commit the regenerated file.
"""

import json
import math
from pathlib import Path

import numpy as np
from scipy import integrate, optimize, special, stats

OUT = Path(__file__).resolve().parent.parent / "src/modules/metrics/stats/fixtures/scipy-reference.json"

# Constants the TypeScript implementation shares; a change there must be mirrored here.
SEQUENTIAL_ALPHA = 0.05
DEFAULT_TARGET_N = 5000
MIN_TARGET_N = 100
MIN_SEQUENTIAL_N = 30
RATE_ALPHA = 0.01
SAMPLE_RATIO_ALPHA = 0.001
RATE_RATIO_GRID = [1.1, 1.25, 1.5, 2, 3, 5, 10, 20, 50, 100]

Z975 = stats.norm.ppf(0.975)


def num(x):
    """JSON-safe float: None for nan/inf so the fixture never holds non-JSON numbers."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def close(x, y, rtol=1e-9, atol=1e-14):
    return abs(x - y) <= atol + rtol * abs(y)


# --- two-proportion z-test -------------------------------------------------------------------

def two_proportion(xa, na, xb, nb):
    case = {"a": {"n": na, "events": xa}, "b": {"n": nb, "events": xb}}
    if na < 2 or nb < 2:
        case["expected"] = None
        return case
    pa, pb = xa / na, xb / nb
    diff = pb - pa
    pooled = (xa + xb) / (na + nb)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    note = None
    if se_pooled == 0:
        # Both arms all-zero or all-one: scipy yields nan; the contract says p = 1 (no evidence).
        z, p = None, 1.0
        note = "pooled variance is zero: p = 1 by convention"
    else:
        z = diff / se_pooled
        p = 2 * stats.norm.sf(abs(z))
        table = np.array([[xa, na - xa], [xb, nb - xb]])
        if (table.sum(axis=0) > 0).all():
            chi2, p_chi, _, _ = stats.chi2_contingency(table, correction=False)
            assert close(p_chi, p, rtol=1e-7, atol=1e-300), (xa, na, xb, nb, p_chi, p)
            assert close(chi2, z * z, rtol=1e-9), (chi2, z * z)
    if se == 0:
        ci = [diff, diff]
        prob_higher = 0.5 if diff == 0 else (1.0 if diff > 0 else 0.0)
        note = (note + "; " if note else "") + "unpooled se is zero: degenerate CI and probability"
    else:
        ci = [diff - Z975 * se, diff + Z975 * se]
        prob_higher = stats.norm.cdf(diff / se)
    prob_lower = 1 - prob_higher if se == 0 else stats.norm.cdf(-diff / se)
    case["expected"] = {
        "difference": num(diff),
        "relative_difference": num(diff / pa) if pa != 0 else None,
        "z": num(z),
        "p_value": num(p),
        "ci95": [num(ci[0]), num(ci[1])],
        "se": num(se),
        "probability_b_better_higher": num(prob_higher),
        "probability_b_better_lower": num(prob_lower),
    }
    if note:
        case["note"] = note
    return case


def two_proportion_cases(rng):
    fixed = [
        (5, 1000, 3, 1012),  # the example in DESIGN.md's results contract
        (0, 1000, 0, 1000),  # zero errors in both arms
        (1000, 1000, 1000, 1000),  # every request failed in both arms
        (50, 1000, 50, 1000),  # identical arms
        (0, 500, 500, 500),  # none versus all
        (1, 10, 5000, 100000),  # very unequal n
        (0, 10, 3, 100000),
        (7, 100000, 0, 10),
        (123456789, 1000000000, 123470000, 1000000000),  # large counts
        (100, 10000, 400, 10000),  # tiny p-value
        (1, 2, 0, 2),  # smallest n that is tested
        (1, 1, 0, 1),  # n = 1: nulls
        (0, 0, 5, 10),  # an arm with no requests: nulls
    ]
    cases = [two_proportion(*c) for c in fixed]
    for _ in range(25):
        na, nb = (int(v) for v in 10 ** rng.uniform(1, 6.5, size=2))
        p = 10 ** rng.uniform(-3, math.log10(0.5))
        pb = min(0.99, p * rng.uniform(0.7, 1.4))
        cases.append(two_proportion(int(rng.binomial(na, p)), na, int(rng.binomial(nb, pb)), nb))
    return cases


# --- Welch's t-test ----------------------------------------------------------------------------

def welch_from_stats(na, ma, va, nb, mb, vb, source="stats"):
    case = {
        "a": {"n": na, "mean": ma, "variance": va},
        "b": {"n": nb, "mean": mb, "variance": vb},
        "source": source,
    }
    if na < 2 or nb < 2:
        case["expected"] = None
        return case
    diff = mb - ma
    wa, wb = va / na, vb / nb
    se = math.sqrt(wa + wb)
    if se == 0:
        case["note"] = "both variances zero: p = 1 if the means are equal else 0; CI collapses"
        case["expected"] = {
            "difference": num(diff),
            "t": None,
            "df": None,
            "p_value": 1.0 if diff == 0 else 0.0,
            "ci95": [num(diff), num(diff)],
            "se": 0.0,
            "probability_b_better_higher": 0.5 if diff == 0 else (1.0 if diff > 0 else 0.0),
            "probability_b_better_lower": 0.5 if diff == 0 else (0.0 if diff > 0 else 1.0),
        }
        return case
    res = stats.ttest_ind_from_stats(mb, math.sqrt(vb), nb, ma, math.sqrt(va), na, equal_var=False)
    ua, ub = wa / (wa + wb), wb / (wa + wb)
    df = 1 / (ua * ua / (na - 1) + ub * ub / (nb - 1))
    half = stats.t.ppf(0.975, df) * se
    case["expected"] = {
        "difference": num(diff),
        "t": num(res.statistic),
        "df": num(df),
        "p_value": num(res.pvalue),
        "ci95": [num(diff - half), num(diff + half)],
        "se": num(se),
        "probability_b_better_higher": num(stats.norm.cdf(diff / se)),
        "probability_b_better_lower": num(stats.norm.cdf(-diff / se)),
    }
    return case


def moments(values):
    values = [float(v) for v in values]
    return {"n": len(values), "sum": math.fsum(values), "sumSquares": math.fsum(v * v for v in values)}


def welch_from_samples(a, b, label):
    ma, mb = float(np.mean(a)), float(np.mean(b))
    va, vb = float(np.var(a, ddof=1)), float(np.var(b, ddof=1))
    case = welch_from_stats(len(a), ma, va, len(b), mb, vb, source="samples:" + label)
    res = stats.ttest_ind(b, a, equal_var=False)
    exp = case["expected"]
    assert close(exp["p_value"], float(res.pvalue), rtol=1e-9, atol=1e-300), label
    if hasattr(res, "confidence_interval"):  # scipy >= 1.11 (Debian 12 ships 1.10)
        ci = res.confidence_interval(0.95)
        assert close(exp["df"], float(res.df), rtol=1e-9), label
        assert close(exp["ci95"][0], float(ci.low), rtol=1e-9, atol=1e-12), label
        assert close(exp["ci95"][1], float(ci.high), rtol=1e-9, atol=1e-12), label
    case["moments"] = {"a": moments(a), "b": moments(b)}
    return case


def welch_cases(rng):
    cases = [
        welch_from_samples(rng.normal(120, 30, 1000), rng.normal(118, 28, 1012), "latency-like normal"),
        welch_from_samples(rng.lognormal(4.6, 0.5, 3000), rng.lognormal(4.55, 0.6, 2500), "lognormal latency"),
        welch_from_samples(rng.binomial(1, 0.8, 1500).astype(float), rng.binomial(1, 0.83, 1550).astype(float), "0/1 accuracy"),
        welch_from_samples(rng.normal(50, 10, 10), rng.normal(50, 10, 100000), "10 vs 100000"),
        welch_from_samples(rng.normal(0, 1, 2), rng.normal(0.5, 1, 3), "n = 2 and 3"),
        welch_from_samples(1e6 + rng.normal(0, 1e-3, 500), 1e6 + rng.normal(1e-4, 1e-3, 500), "large mean, small spread"),
    ]
    fixed = [
        (1000, 120.0, 900.0, 1000, 120.0, 900.0),  # identical arms
        (5000, 1.0, 1e-18, 5000, 1.0 + 1e-9, 2e-18),  # tiny variances
        (10, 100.0, 400.0, 100000, 90.0, 100.0),  # very unequal n
        (10000000, 250.0, 2500.0, 10000000, 250.05, 2600.0),  # large n
        (2, 1.0, 0.5, 2, 3.0, 0.5),
        (50, 3.0, 0.0, 60, 3.5, 0.25),  # one arm constant
        (40, 2.0, 0.0, 40, 2.0, 0.0),  # both constant, equal
        (40, 2.0, 0.0, 40, 2.5, 0.0),  # both constant, different
        (1, 5.0, 0.0, 100, 4.0, 1.0),  # n = 1: nulls
        (0, 0.0, 0.0, 100, 4.0, 1.0),  # no data in a: nulls
        (30, -5.0, 4.0, 35, 5.0, 9.0),  # huge t
    ]
    cases += [welch_from_stats(*c) for c in fixed]
    for _ in range(20):
        na, nb = (int(v) for v in 10 ** rng.uniform(0.5, 5.5, size=2))
        na, nb = max(na, 2), max(nb, 2)
        scale = 10 ** rng.uniform(-3, 4)
        ma = rng.normal(0, 1) * scale
        mb = ma + rng.normal(0, 0.1) * scale
        va = (scale * rng.uniform(0.2, 3)) ** 2
        vb = va * rng.uniform(0.25, 4)
        cases.append(welch_from_stats(na, ma, va, nb, mb, vb))
    return cases


# --- mSPRT with a normal mixture ----------------------------------------------------------------

def optimal_variance_ratio(alpha):
    # r minimising the |z| boundary (1 + 1/r)(2 ln(1/alpha) + ln(1 + r)) of the mixture test.
    c = 2 * math.log(1 / alpha)
    r = optimize.brentq(lambda r: r - c - math.log1p(r), 1e-9, 1e6, xtol=1e-14)
    boundary = lambda r: (1 + 1 / r) * (c + math.log1p(r))
    res = optimize.minimize_scalar(boundary, bounds=(0.1, 100), method="bounded", options={"xatol": 1e-10})
    assert abs(res.x - r) < 1e-4, (res.x, r)
    return r


def msprt(estimate, variance, tau2):
    case = {"estimate": estimate, "variance": variance, "tau2": tau2}
    # The mixture likelihood ratio is the marginal density of the estimate under the mixture,
    # N(0, V + tau2), over its density under the null, N(0, V).
    log_lr = stats.norm.logpdf(estimate, 0, math.sqrt(variance + tau2)) - stats.norm.logpdf(estimate, 0, math.sqrt(variance))
    if abs(estimate) / math.sqrt(variance) < 8:
        sd = math.sqrt(variance)
        numer, _ = integrate.quad(
            lambda th: stats.norm.pdf(estimate, th, sd) * stats.norm.pdf(th, 0, math.sqrt(tau2)),
            -np.inf, np.inf, epsabs=0, epsrel=1e-12, limit=200,
        )
        assert close(math.log(numer / stats.norm.pdf(estimate, 0, sd)), log_lr, rtol=1e-7, atol=1e-9), case
    case["expected"] = {"log_likelihood_ratio": num(log_lr), "p_value": num(min(1.0, math.exp(-log_lr)))}
    return case


def msprt_cases():
    return [
        msprt(0.0, 1e-4, 1e-3),
        msprt(0.01, 1e-4, 1e-3),
        msprt(0.03, 1e-4, 1e-3),
        msprt(-0.05, 1e-4, 1e-3),
        msprt(2.0, 1.0, 0.01),
        msprt(2.0, 1.0, 100.0),
        msprt(6.0, 1.0, 8.0),
        msprt(40.0, 1.0, 8.0),  # p underflows to 0
        msprt(1e-6, 1e-14, 1e-12),
        msprt(350.0, 400.0, 1e6),
    ]


# --- always-valid test that a rate exceeds a threshold -----------------------------------------

def rate_log_lr(events, n, p0):
    logs = []
    for r in RATE_RATIO_GRID:
        p1 = r * p0
        if p1 >= 1:
            continue
        logs.append(special.xlogy(events, r) + special.xlog1py(n - events, -p1) - special.xlog1py(n - events, -p0))
    if not logs:
        return -math.inf
    return special.logsumexp(logs) - math.log(len(RATE_RATIO_GRID))


def rate_case(events, n, p0):
    threshold = math.log(1 / RATE_ALPHA)
    log_lr = rate_log_lr(events, n, p0)
    if events == 0 or rate_log_lr(events, n, 1e-300) < threshold:
        lower = 0.0
    else:
        lower = optimize.brentq(lambda q: rate_log_lr(events, n, q) - threshold, 1e-300, events / n, xtol=1e-300, rtol=1e-15)
    return {
        "events": events, "n": n, "threshold": p0,
        "expected": {"log_likelihood_ratio": num(log_lr), "exceeds": bool(log_lr >= threshold), "lower_bound": num(lower)},
    }


def rate_cases():
    return [
        rate_case(60, 300, 0.01),  # the auto-pause scenario: 20 % errors against a 1 % limit
        rate_case(20, 100, 0.01),
        rate_case(1, 200, 0.01),  # 0.5 % against 1 %: must not fire
        rate_case(50, 10000, 0.01),
        rate_case(1500, 100000, 0.01),  # 1.5 % on a large sample: fires
        rate_case(6, 500, 0.01),  # 1.2 % on a small sample: does not
        rate_case(0, 1000, 0.01),
        rate_case(80, 1000, 0.05),  # latency exceedances against p95
        rate_case(3, 3, 0.5),
    ]


# --- sample ratio mismatch ---------------------------------------------------------------------

def srm_case(versions, label):
    obs = np.array([sum(p["a"] for p in versions), sum(p["b"] for p in versions)], dtype=float)
    exp = np.zeros(2)
    for p in versions:
        total_share = p["split"]["a"] + p["split"]["b"]
        n = p["a"] + p["b"]
        exp += n * np.array([p["split"]["a"], p["split"]["b"]]) / total_share
    case = {"label": label, "splitVersions": versions}
    if obs.sum() == 0:
        case["expected"] = {"expected_share": None, "chi_square": None, "p_value": None, "mismatch": False}
        return case
    keep = exp > 0
    if (obs[~keep] > 0).any():
        case["expected"] = {"expected_share": exp[0] / exp.sum(), "chi_square": None, "p_value": 0.0, "mismatch": True}
        return case
    if keep.sum() < 2:
        chi2, p = 0.0, 1.0
    else:
        chi2, p = stats.chisquare(obs[keep], exp[keep])
    case["expected"] = {"expected_share": num(exp[0] / exp.sum()), "chi_square": num(chi2), "p_value": num(p), "mismatch": bool(p < SAMPLE_RATIO_ALPHA)}
    return case


def srm_cases():
    ph = lambda a, b, na, nb: {"split": {"a": a, "b": b}, "a": na, "b": nb}
    return [
        srm_case([ph(0.5, 0.5, 1000, 1012)], "contract example"),
        srm_case([ph(50, 50, 1000, 1000)], "perfect match, percentages"),
        srm_case([ph(0.5, 0.5, 1000, 1200)], "mismatch"),
        srm_case([ph(0.1, 0.9, 1000, 9000), ph(0.5, 0.5, 5000, 5000)], "ramp 10/90 -> 50/50, consistent"),
        srm_case([ph(0.1, 0.9, 1000, 9000), ph(0.5, 0.5, 5000, 5600)], "ramp with mismatch under split version 2"),
        srm_case([ph(10, 90, 1000, 9000), ph(50, 50, 9000, 1000)], "ramp; today's split alone would hide the mismatch"),
        srm_case([ph(0.2, 0.8, 40, 160), ph(0.3, 0.7, 310, 690), ph(0.5, 0.5, 2480, 2520)], "three split versions"),
        srm_case([ph(0.5, 0.5, 50000000, 50010000)], "large counts"),
        srm_case([ph(0.5, 0.5, 5000000, 5100000)], "large counts, extreme mismatch"),
        srm_case([ph(1, 0, 500, 0)], "all traffic to a"),
        srm_case([ph(1, 0, 500, 3)], "impossible assignment to b"),
        srm_case([ph(0.5, 0.5, 0, 0)], "no assignments"),
        srm_case([ph(0.5, 0.5, 1, 0)], "one assignment"),
        # Either side of SAMPLE_RATIO_ALPHA = 0.001: a looser (0.01, 0.05) or stricter (1e-4)
        # threshold changes one of these two decisions.
        srm_case([ph(0.5, 0.5, 5140, 4860)], "near the cutoff, p ~ 0.005: not a mismatch"),
        srm_case([ph(0.5, 0.5, 5174, 4826)], "near the cutoff, p ~ 0.0005: a mismatch"),
    ]


# --- sequential p-value at one look, either side of MIN_SEQUENTIAL_N ---------------------------

def sequential_boundary_cases():
    cases = []
    for n in (MIN_SEQUENTIAL_N - 1, MIN_SEQUENTIAL_N, MIN_SEQUENTIAL_N + 1):
        # Proportions: 10% against 50% errors, a difference no test at n >= 30 can miss.
        a = {"n": n, "events": n // 10}
        b = {"n": n, "events": n // 2}
        cases.append({"kind": "proportion", "a": a, "b": b, "target_n": 100, "expected": {"p_value": num(sequential_p("proportion", [a], [b], 100))}})
        # Means: a spread of values around 10 against the same shifted by 2.
        va = [10 + ((7 * i) % 11 - 5) / 2 for i in range(n)]
        vb = [v + 2 for v in va]
        cases.append({
            "kind": "mean", "a": moments(va), "b": moments(vb), "target_n": 100,
            "expected": {"p_value": num(sequential_p("mean", [{"n": n, "values": np.array(va)}], [{"n": n, "values": np.array(vb)}], 100))},
        })
    # Only one arm short of the minimum: still no evidence.
    a = {"n": 1000, "events": 100}
    b = {"n": MIN_SEQUENTIAL_N - 1, "events": MIN_SEQUENTIAL_N - 1}
    cases.append({"kind": "proportion", "a": a, "b": b, "target_n": 100, "expected": {"p_value": num(sequential_p("proportion", [a], [b], 100))}})
    cases.append({"kind": "proportion", "a": b, "b": a, "target_n": 100, "expected": {"p_value": num(sequential_p("proportion", [b], [a], 100))}})
    return cases


# --- a whole results document ------------------------------------------------------------------

def sequential_p(kind, snaps_a, snaps_b, target_n):
    r_star = optimal_variance_ratio(SEQUENTIAL_ALPHA)
    best = 1.0
    for sa, sb in zip(snaps_a, snaps_b):
        na, nb = sa["n"], sb["n"]
        if na < MIN_SEQUENTIAL_N or nb < MIN_SEQUENTIAL_N:
            continue
        if kind == "proportion":
            pooled = (sa["events"] + sb["events"]) / (na + nb)
            unit = pooled * (1 - pooled)
            variance = unit * (1 / na + 1 / nb)
            estimate = sb["events"] / nb - sa["events"] / na
        else:
            va, vb = np.var(sa["values"], ddof=1), np.var(sb["values"], ddof=1)
            unit = ((na - 1) * va + (nb - 1) * vb) / (na + nb - 2)
            variance = va / na + vb / nb
            estimate = np.mean(sb["values"]) - np.mean(sa["values"])
        if variance == 0:
            p = 1.0 if estimate == 0 else 0.0
        else:
            tau2 = r_star * unit * 2 / target_n
            p = min(1.0, math.exp(-(stats.norm.logpdf(estimate, 0, math.sqrt(variance + tau2)) - stats.norm.logpdf(estimate, 0, math.sqrt(variance)))))
        best = min(best, p)
    return best


def results_case(rng):
    sizes = {"a": 4000, "b": 4100}
    err = {"a": rng.binomial(1, 0.020, sizes["a"]), "b": rng.binomial(1, 0.013, sizes["b"])}
    lat = {"a": rng.normal(120, 30, sizes["a"]), "b": rng.normal(116, 28, sizes["b"])}
    acc = {"a": rng.binomial(1, 0.80, 1500).astype(float), "b": rng.binomial(1, 0.86, 1550).astype(float)}
    extra = {"a": rng.normal(1.0, 0.2, 800), "b": rng.normal(1.0, 0.2, 790)}
    zeta = {"a": rng.normal(5.0, 1.0, 300), "b": rng.normal(5.0, 1.0, 310)}
    fractions = [0.25, 0.5, 0.75, 1.0]
    target_n = 3000

    def snapshot(v, frac):
        k = lambda arr: arr[: int(round(len(arr) * frac))]
        lat_v = k(lat[v])
        return {
            "requests": len(k(err[v])),
            "errors": int(k(err[v]).sum()),
            "latency": {**moments(lat_v), "p50": float(np.percentile(lat_v, 50)), "p95": float(np.percentile(lat_v, 95)), "p99": float(np.percentile(lat_v, 99))},
            "custom": {"accuracy": moments(k(acc[v])), "zeta_extra": moments(k(zeta[v])), "b_extra": moments(k(extra[v]))},
        }

    snaps = [{"a": snapshot("a", f), "b": snapshot("b", f)} for f in fractions]

    def prop_arm(v, frac):
        k = int(round(sizes[v] * frac))
        return {"n": k, "events": int(err[v][:k].sum())}

    def mean_arm(arr, frac):
        return {"n": int(round(len(arr) * frac)), "values": arr[: int(round(len(arr) * frac))]}

    metrics = []
    ea, eb = prop_arm("a", 1), prop_arm("b", 1)
    tp = two_proportion(ea["events"], ea["n"], eb["events"], eb["n"])["expected"]
    metrics.append({
        "name": "error_rate",
        "a": {"n": ea["n"], "mean": ea["events"] / ea["n"]},
        "b": {"n": eb["n"], "mean": eb["events"] / eb["n"]},
        "difference": tp["difference"], "relative_difference": tp["relative_difference"], "ci95": tp["ci95"],
        "p_value": tp["p_value"], "probability_b_better": tp["probability_b_better_lower"],
        "sequential_p_value": sequential_p("proportion", [prop_arm("a", f) for f in fractions], [prop_arm("b", f) for f in fractions], target_n),
    })
    for name, data, higher in [("latency_ms", lat, False), ("custom:accuracy", acc, True), ("custom:b_extra", extra, True), ("custom:zeta_extra", zeta, True)]:
        a, b = data["a"], data["b"]
        w = welch_from_samples(a, b, name)["expected"]
        entry = {
            "name": name,
            "a": {"n": len(a), "mean": float(np.mean(a)), "std_dev": float(np.std(a, ddof=1))},
            "b": {"n": len(b), "mean": float(np.mean(b)), "std_dev": float(np.std(b, ddof=1))},
            "difference": w["difference"], "relative_difference": w["difference"] / float(np.mean(a)), "ci95": w["ci95"],
            "p_value": w["p_value"], "probability_b_better": w["probability_b_better_higher" if higher else "probability_b_better_lower"],
            "sequential_p_value": sequential_p("mean", [mean_arm(a, f) for f in fractions], [mean_arm(b, f) for f in fractions], target_n),
        }
        metrics.append(entry)

    versions = [
        {"split": {"a": 0.1, "b": 0.9}, "a": 310, "b": 2690},
        {"split": {"a": 0.5, "b": 0.5}, "a": 2540, "b": 2560},
    ]
    return {
        "input": {
            "testId": "3f1c2a8e-0000-4000-8000-000000000001",
            "status": "active",
            "computedAt": "2026-03-01T12:00:00.000Z",
            "split": {"a": 0.5, "b": 0.5},
            "assignmentsBySplitVersion": versions,
            "metricDeclarations": [{"name": "accuracy", "higher_is_better": True}],
            "criteria": {"min_requests": target_n, "max_error_rate": 0.05, "max_latency_ms": 500, "min_improvement": 0.01},
            "current": snaps[-1],
            "looks": snaps[:-1],
        },
        "expected": {"sample_ratio": srm_case(versions, "results")["expected"], "metrics": metrics},
    }


def main():
    rng = np.random.default_rng(20260301)
    fixture = {
        "generated_by": "scripts/stats-fixtures.py",
        "scipy_version": __import__("scipy").__version__,
        "numpy_version": np.__version__,
        "z975": Z975,
        "optimal_variance_ratio_alpha_0_05": optimal_variance_ratio(SEQUENTIAL_ALPHA),
        "two_proportion": two_proportion_cases(rng),
        "welch": welch_cases(rng),
        "msprt": msprt_cases(),
        "rate_exceeds": rate_cases(),
        "sample_ratio": srm_cases(),
        "sequential_boundary": sequential_boundary_cases(),
        "results": results_case(rng),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
