"""The count tests' tail probabilities are computed with scipy.special (scipy.stats is slow to import); they must
equal scipy.stats' Poisson and negative binomial tails, edge cases included."""

import numpy as np
from scipy import stats

from analyzer.template_anomalies import _chi2_quantile, _lower_tail, _nbinom_params, _upper_tail


def _cases():
    rng = np.random.default_rng(7)
    observed = np.concatenate([rng.integers(0, 60, 3000), [0, 0, 1, 1, 0, 5, 200]])
    mean = np.concatenate([rng.uniform(0, 40, 3000), [0, 3, 0, 2.5, 0, 0, 1.5]])
    phi = np.concatenate([rng.uniform(0.5, 6, 3000), [1, 2, 3, 1, 1.5, 2, 4]])
    return observed, mean, phi


def _reference(observed, mean, phi, upper):
    r, p = _nbinom_params(mean, phi)
    if upper:
        poisson, negbin = stats.poisson.sf(observed - 1, mean), stats.nbinom.sf(observed - 1, r, p)
    else:
        poisson, negbin = stats.poisson.cdf(observed, mean), stats.nbinom.cdf(observed, r, p)
    return np.where(phi > 1.0 + 1e-9, negbin, poisson)


def test_tails_equal_scipy_stats():
    observed, mean, phi = _cases()
    for upper, ours in ((True, _upper_tail), (False, _lower_tail)):
        np.testing.assert_allclose(ours(observed, mean, phi), _reference(observed, mean, phi, upper),
                                   rtol=1e-10, atol=1e-14, equal_nan=True)


def test_chi2_quantile_equals_scipy_stats():
    for df in (1, 2, 3, 10, 59, 500):
        assert abs(_chi2_quantile(0.05, df) - stats.chi2.ppf(0.05, df)) < 1e-9 * max(1.0, df)
