"""One rule for stale element sets (epochs more than two weeks from the window), the same in the API
(``augmentation.element_age_warning``) and on the command line (``warn_far_epochs``)."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from helpers import make_sat

from constellation import design
from constellation.augmentation import MAX_ELEMENT_AGE_DAYS, element_age_warning
from constellation.cli._common import warn_far_epochs
from constellation.satellite import Constellation
from constellation.staleness import STALE_DAYS, element_age_days, stale_elements_message

DAY = np.timedelta64(86_400_000_000_000, "ns")


@pytest.fixture
def sats():
    return Constellation([make_sat(1, 7000.0, 0.001, 53.0, 0.0, 0.0, 0.0),
                          make_sat(2, 7000.0, 0.001, 53.0, 90.0, 0.0, 0.0)])


def test_one_threshold_of_two_weeks():
    assert STALE_DAYS == 14.0 and MAX_ELEMENT_AGE_DAYS == STALE_DAYS


def test_ages_are_the_days_outside_the_window(sats):
    ep = np.datetime64(sats[0].epoch, "ns")
    np.testing.assert_allclose(element_age_days(sats, ep + 20 * DAY, ep + 21 * DAY), [20.0, 20.0], rtol=1e-12)
    np.testing.assert_allclose(element_age_days(sats, ep - 30 * DAY, ep - 3 * DAY), [3.0, 3.0], rtol=1e-12)
    np.testing.assert_array_equal(element_age_days(sats, ep - DAY, ep + DAY), [0.0, 0.0])
    plan = design.jinan368()[:3]  # designed: a plan, not a measurement
    assert np.isnan(element_age_days(plan, ep + 400 * DAY)).all()
    with pytest.raises(ValueError, match="ends"):
        element_age_days(sats, ep + DAY, ep)


def test_warning_starts_just_past_two_weeks_in_the_api_and_the_cli(sats):
    ep = np.datetime64(sats[0].epoch, "ns")
    near = np.array([ep + np.timedelta64(int(13.9 * 86400), "s"), ep + 14 * DAY - np.timedelta64(1, "s")])
    far = np.array([ep + np.timedelta64(int(14.1 * 86400), "s"), ep + 15 * DAY])
    assert stale_elements_message(sats, near[0], near[-1]) is None
    assert warn_far_epochs(sats, near[0], near[-1], file=io.StringIO()) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert element_age_warning(sats, near) == pytest.approx(13.9, abs=1e-6)
    text = stale_elements_message(sats, far[0], far[-1])
    assert text.startswith("2 of 2 element sets have epochs more than 14 days from the window (the farthest 14 days)")
    err = io.StringIO()
    assert warn_far_epochs(sats, far[0], far[-1], file=err) == f"warning: {text}"
    assert err.getvalue().strip() == f"warning: {text}"
    with pytest.warns(UserWarning) as rec:
        element_age_warning(sats, far)
    assert str(rec[0].message) == text  # the same words in both
    with pytest.warns(UserWarning, match=r"element sets \(GNSS\) have epochs"):
        element_age_warning(sats, far, label="GNSS")
