"""Fast math for the kernels: branch-free polynomial sine, cosine, arctangent and arccosine, and a fused
multiply-add, so that loops calling them vectorise (numba has no vector math library here, and a libm call
stops LLVM's vectoriser).

* :func:`poly_sincos`, :func:`poly_atan2`, :func:`fmod_2pi`: within about one unit in the last place of
  libm's (Cephes Math Library 2.8, S. L. Moshier; fdlibm's argument reduction), with explicit fused
  multiply-adds (:func:`fma`) so that their bits do not depend on whether the calling loop lets LLVM
  contract.  Used by the SGP4 kernel (:mod:`.sgp4_near`) and the satellite geometry (:mod:`.visibility`).
* :func:`poly_acos`: Abramowitz and Stegun 4.4.46, within :data:`ACOS_POLY_ERR` rad, for the analytic fast
  path's arc widths (:mod:`.fastpath`), whose error bound carries that error.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from . import CACHE

__all__ = ["fma", "poly_sincos", "poly_atan2", "fmod_2pi", "poly_acos", "poly_acos_array", "ACOS_POLY_ERR"]

_TWO_PI = 2.0 * math.pi
_INV_TWO_PI = 1.0 / _TWO_PI
# 2 pi (the double) = _TWO_PI_HI + _TWO_PI_LO exactly; _TWO_PI_HI has 29 significant bits
_TWO_PI_HI = float.fromhex("0x1.921fb54p+2")
_TWO_PI_LO = _TWO_PI - _TWO_PI_HI
# pi / 2 in three pieces of 33 significant bits (the split of fdlibm's __ieee754_rem_pio2, Sun
# Microsystems 1993: pio2_1, pio2_2, pio2_3)
_PIO2_1 = float.fromhex("0x1.921fb544p+0")
_PIO2_2 = float.fromhex("0x1.0b4611a6p-34")
_PIO2_3 = float.fromhex("0x1.3198a2ep-69")
_TWO_OVER_PI = 2.0 / math.pi
_PIO2 = 0.5 * math.pi
_PIO4 = 0.25 * math.pi
_PI = math.pi
# adding and subtracting 1.5 * 2^52 rounds a double of magnitude below 2^51 to the nearest integer
_ROUND = 6755399441055744.0
# atan: Cephes Math Library 2.8 (S. L. Moshier, 2000), atan.c, rational approximation P(x^2)/Q(x^2) on
# [0, 0.66] with the reduction atan(x) = pi/4 + atan((x - 1) / (x + 1)) above; _MOREBITS is pi/4's rounding
_ATP0, _ATP1, _ATP2, _ATP3, _ATP4 = (-8.750608600031904122785e-1, -1.615753718733365076637e1,
                                      -7.500855792314704667340e1, -1.228866684490136173410e2,
                                      -6.485021904942025371773e1)
_ATQ0, _ATQ1, _ATQ2, _ATQ3, _ATQ4 = (2.485846490142306297962e1, 1.650270098316988542046e2,
                                      4.328810604912902668951e2, 4.853903996359136964868e2,
                                      1.945506571482613964425e2)
_MOREBITS = 6.123233995736765886130e-17
# sin and cos on [-pi/4, pi/4]: Cephes Math Library 2.8, sin.c (sincof, coscof)
_S0, _S1, _S2, _S3, _S4, _S5 = (1.58962301576546568060e-10, -2.50507477628578072866e-8,
                                2.75573136213857245213e-6, -1.98412698295895385996e-4,
                                8.33333333332211858878e-3, -1.66666666666666307295e-1)
_C0, _C1, _C2, _C3, _C4, _C5 = (-1.13585365213876817300e-11, 2.08757008419747316778e-9,
                                -2.75573141792967388112e-7, 2.48015872888517045348e-5,
                                -1.38888888888730564116e-3, 4.16666666666665929218e-2)



@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (``llvm.fma``; one instruction on FMA3 hardware)."""
    if not all(isinstance(x, types.Float) for x in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def poly_sincos(x):
    """``(sin(x), cos(x))`` without libm, branch-free: ``x = k pi/2 + r`` (Cody-Waite reduction with
    fdlibm's three-piece pi/2; exact products for ``|k| < 2^20``, i.e. ``|x|`` below about 1.6e6 rad, and
    still accurate to a few 1e-16 rad absolute far beyond), then Cephes' minimax polynomials on
    ``|r| <= pi/4`` and the quadrant ``k mod 4`` by selects.  Its roundings are explicit fused
    multiply-adds or exact products, so the bits do not depend on whether the caller lets LLVM contract.
    Absolute error within about 2e-16.  NaN and infinities give NaN."""
    k = fma(x, _TWO_OVER_PI, _ROUND) - _ROUND
    r = ((x - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3
    z = r * r
    ps = fma(fma(fma(fma(fma(_S0, z, _S1), z, _S2), z, _S3), z, _S4), z, _S5)
    pc = fma(fma(fma(fma(fma(_C0, z, _C1), z, _C2), z, _C3), z, _C4), z, _C5)
    s = fma(r * z, ps, r)
    c = fma(z * z, pc, 1.0 - 0.5 * z)
    h = k * 0.25  # quadrant q = k - 4 floor(k / 4), in 0..3 (h - 0.375 rounds to floor(h) exactly)
    q = k - 4.0 * (((h - 0.375) + _ROUND) - _ROUND)
    odd = (q == 1.0) | (q == 3.0)
    sn = c if odd else s
    cs = s if odd else c
    sn = -sn if q >= 2.0 else sn
    cs = -cs if (q == 1.0) | (q == 2.0) else cs
    return sn, cs


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def poly_atan2(y, x):
    """``atan2(y, x)`` without libm, branch-free: ``atan(min/max)`` of the magnitudes by Cephes'
    ``atan`` (rational approximation, reduction by pi/4 above 0.66), then the octant by selects.  Absolute
    error within about 5e-16 rad; ``atan2(0, 0) = 0``."""
    ax = abs(x)
    ay = abs(y)
    swap = ay > ax
    num = ax if swap else ay
    den = ay if swap else ax
    big = num > 0.66 * den  # num / den > 0.66 (up to rounding at the switch, where both forms are exact)
    # w = num / den, or (t - 1) / (t + 1) with t = num / den for the reduction by pi / 4
    w_num = num - den if big else num
    w_den = num + den if big else den
    w = w_num / w_den if den > 0.0 else 0.0
    z = w * w
    p = (((_ATP0 * z + _ATP1) * z + _ATP2) * z + _ATP3) * z + _ATP4
    qd = ((((z + _ATQ0) * z + _ATQ1) * z + _ATQ2) * z + _ATQ3) * z + _ATQ4
    a = w * (z * p / qd) + w
    a = (_PIO4 + (a + 0.5 * _MOREBITS)) if big else a
    a = _PIO2 - a if swap else a
    a = _PI - a if x < 0.0 else a
    return -a if y < 0.0 else a


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def fmod_2pi(x):
    """``np.fmod(x, 2 pi)`` (``2 pi`` the double) with the same bits, without the libm call: ``x - k 2pi``
    with ``k`` the nearest integer and ``2 pi`` split in two so that both products are exact (for ``|x|``
    below about 1e8 rad), then shifted by one period to take the sign of ``x`` as fmod does."""
    k = fma(x, _INV_TWO_PI, _ROUND) - _ROUND
    r = (x - k * _TWO_PI_HI) - k * _TWO_PI_LO
    r = r + _TWO_PI if (x >= 0.0) & (r < 0.0) else r
    return r - _TWO_PI if (x < 0.0) & (r > 0.0) else r


#: A&S 4.4.46 (Abramowitz and Stegun, *Handbook of Mathematical Functions*, 1964): for 0 <= x <= 1,
#: ``acos(x) = sqrt(1 - x) (a0 + a1 x + ... + a7 x^7) + e(x)`` with ``|e(x)| <= 2e-8``.
_AS_ACOS = (1.5707963050, -0.2145988016, 0.0889789874, -0.0501743046, 0.0308918810, -0.0170881256,
            0.0066700901, -0.0012624911)
#: Error bound (rad) carried into the fast path's slack for :func:`~.fastmath.poly_acos`: the published 2e-8 plus
#: margin for rounding (``tests/test_coverage_oracle.py`` checks it on a dense sample).
ACOS_POLY_ERR = 5e-8


@njit(cache=CACHE, inline="always", error_model="numpy")
def poly_acos(x):
    """``acos(x)`` for ``-1 <= x <= 1`` to within :data:`ACOS_POLY_ERR` rad, branch-free (vectorises)."""
    ax = abs(x)
    p = _AS_ACOS[7]
    p = p * ax + _AS_ACOS[6]
    p = p * ax + _AS_ACOS[5]
    p = p * ax + _AS_ACOS[4]
    p = p * ax + _AS_ACOS[3]
    p = p * ax + _AS_ACOS[2]
    p = p * ax + _AS_ACOS[1]
    p = p * ax + _AS_ACOS[0]
    a = math.sqrt(max(1.0 - ax, 0.0)) * p
    return a if x >= 0.0 else math.pi - a


@njit(cache=CACHE, error_model="numpy")
def poly_acos_array(x):
    """Array form of the fast path's ``acos`` (for tests of its error bound)."""
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = poly_acos(x[i])
    return out
