/**
 * The WGSL math library every program gets. GPU built-ins are only loosely specified for
 * special values (SwiftShader, for one, returns `exp(NaN) = Infinity`, `log(0) = -88`,
 * `tanh(100) = NaN` and folds `x != x` to false), and some are not accurate enough for
 * float32 tolerances (`sin`/`cos` off by 1e-5 near their zeros). These functions give the
 * IEEE / JavaScript results: NaN propagates, infinities are exact, and the transcendental
 * functions are accurate to a few ulp (range reduction plus short polynomials).
 *
 * @module
 */

/** WGSL source of the math library (functions prefixed `m_`). @internal */
export const MATH_WGSL = /* wgsl */ `
fn m_nan() -> f32 { let b = 0x7fc00000u; return bitcast<f32>(b); }
fn m_inf() -> f32 { let b = 0x7f800000u; return bitcast<f32>(b); }
fn m_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn m_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn m_isfinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn m_signbit(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
fn m_copysign(m: f32, s: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(m) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u));
}
fn m_max(a: f32, b: f32) -> f32 { if (m_isnan(a) || m_isnan(b)) { return m_nan(); } return max(a, b); }
fn m_min(a: f32, b: f32) -> f32 { if (m_isnan(a) || m_isnan(b)) { return m_nan(); } return min(a, b); }
fn m_sign(x: f32) -> f32 {
  if (x > 0.0) { return 1.0; }
  if (x < 0.0) { return -1.0; }
  return x;
}
fn m_exp(x: f32) -> f32 { if (m_isnan(x)) { return x; } return exp(x); }
fn m_expm1(x: f32) -> f32 {
  if (m_isnan(x)) { return x; }
  if (abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * (0.008333334 + x * (0.0013888889
      + x * (1.984127e-4 + x * (2.4801588e-5 + x * 2.7557319e-6))))))));
  }
  if (x > 88.8) { return m_inf(); }
  return exp(x) - 1.0;
}
fn m_log_series(s: f32) -> f32 {
  let z = s * s;
  return 2.0 * s * (1.0 + z * (0.33333334 + z * (0.2 + z * (0.14285715 + z * (0.11111111 + z * 0.09090909)))));
}
fn m_log(x: f32) -> f32 {
  if (m_isnan(x) || x < 0.0) { return m_nan(); }
  if (x == 0.0) { return -m_inf(); }
  if (m_isinf(x)) { return x; }
  var bits = bitcast<u32>(x);
  var e = 0;
  if (bits < 0x00800000u) { bits = bitcast<u32>(x * 8388608.0); e = -23; }
  e = e + i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) { m = m * 0.5; e = e + 1; }
  let fe = f32(e);
  return fe * 0.693359375 + (fe * -2.12194440e-4 + m_log_series((m - 1.0) / (m + 1.0)));
}
fn m_log1p(x: f32) -> f32 {
  if (m_isnan(x) || x < -1.0) { return m_nan(); }
  if (x == -1.0) { return -m_inf(); }
  if (m_isinf(x)) { return x; }
  if (abs(x) < 0.4) { return m_log_series(x / (2.0 + x)); }
  return m_log(1.0 + x);
}
fn m_sqrt(x: f32) -> f32 {
  if (m_isnan(x) || x < 0.0) { return m_nan(); }
  if (m_isinf(x) || x == 0.0) { return x; }
  return sqrt(x);
}
fn m_sin_poly(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
}
fn m_cos_poly(r: f32) -> f32 {
  let z = r * r;
  return 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
}
struct m_Reduced { r: f32, q: i32, }
fn m_reduce(x: f32) -> m_Reduced {
  let j = round(x * 0.63661977236758134);
  let r = ((x - j * 1.5703125) - j * 4.837512969970703125e-4) - j * 7.54978995489188216e-8;
  return m_Reduced(r, i32(j) & 3);
}
fn m_sin(x: f32) -> f32 {
  if (!m_isfinite(x)) { return m_nan(); }
  let t = m_reduce(x);
  if (t.q == 0) { return m_sin_poly(t.r); }
  if (t.q == 1) { return m_cos_poly(t.r); }
  if (t.q == 2) { return -m_sin_poly(t.r); }
  return -m_cos_poly(t.r);
}
fn m_cos(x: f32) -> f32 {
  if (!m_isfinite(x)) { return m_nan(); }
  let t = m_reduce(x);
  if (t.q == 0) { return m_cos_poly(t.r); }
  if (t.q == 1) { return -m_sin_poly(t.r); }
  if (t.q == 2) { return -m_cos_poly(t.r); }
  return m_sin_poly(t.r);
}
fn m_tan(x: f32) -> f32 {
  if (!m_isfinite(x)) { return m_nan(); }
  let t = m_reduce(x);
  let s = m_sin_poly(t.r);
  let c = m_cos_poly(t.r);
  if ((t.q & 1) == 0) { return s / c; }
  return -c / s;
}
fn m_tanh(x: f32) -> f32 {
  if (m_isnan(x)) { return x; }
  let a = abs(x);
  if (a > 9.0) { return m_copysign(1.0, x); }
  let e = m_expm1(2.0 * a);
  return m_copysign(e / (e + 2.0), x);
}
fn m_sigmoid(x: f32) -> f32 {
  if (m_isnan(x)) { return x; }
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn m_round(x: f32) -> f32 { if (!m_isfinite(x)) { return x; } return round(x); }
fn m_floor(x: f32) -> f32 { if (!m_isfinite(x)) { return x; } return floor(x); }
fn m_ceil(x: f32) -> f32 { if (!m_isfinite(x)) { return x; } return ceil(x); }
fn m_atan2(y: f32, x: f32) -> f32 {
  if (m_isnan(x) || m_isnan(y)) { return m_nan(); }
  let pi = 3.14159265358979;
  if (m_isinf(x)) {
    if (m_isinf(y)) { return m_copysign(select(0.75 * pi, 0.25 * pi, x > 0.0), y); }
    return m_copysign(select(pi, 0.0, x > 0.0), y);
  }
  if (m_isinf(y)) { return m_copysign(0.5 * pi, y); }
  if (y == 0.0) { return m_copysign(select(0.0, pi, m_signbit(x)), y); }
  return atan2(y, x);
}
fn m_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (m_isnan(x) || m_isnan(y)) { return m_nan(); }
  if (y == 1.0) { return x; }
  let ax = abs(x);
  if (m_isinf(y)) {
    if (ax == 1.0) { return m_nan(); }
    return select(0.0, m_inf(), (ax > 1.0) == (y > 0.0));
  }
  var r: f32;
  if (ax == 0.0) { r = select(m_inf(), 0.0, y > 0.0); }
  else if (m_isinf(ax)) { r = select(0.0, m_inf(), y > 0.0); }
  else if (y == 2.0) { r = ax * ax; }
  else if (y == 0.5) { r = sqrt(ax); }
  else { r = exp2(y * log2(ax)); }
  if (m_signbit(x)) {
    if (floor(y) != y) {
      if (ax == 0.0 || m_isinf(ax)) { return r; }
      return m_nan();
    }
    let h = y * 0.5;
    if (abs(y) < 16777216.0 && floor(h) != h) { return -r; }
  }
  return r;
}
fn m_floordiv(a: f32, b: f32) -> f32 {
  let q = a / b;
  if (!m_isfinite(q)) { return q; }
  return floor(q);
}
fn m_fmod(a: f32, b: f32) -> f32 {
  if (m_isnan(a) || m_isnan(b) || m_isinf(a) || b == 0.0) { return m_nan(); }
  if (m_isinf(b)) { return a; }
  let aa = abs(a);
  let ab = abs(b);
  var r = fma(-ab, trunc(aa / ab), aa);
  if (r < 0.0) { r = r + ab; }
  if (r >= ab) { r = r - ab; }
  return m_copysign(r, a);
}
fn m_floormod(a: f32, b: f32) -> f32 {
  let r = m_fmod(a, b);
  if (r != 0.0 && !m_isnan(r) && ((r < 0.0) != (b < 0.0))) { return r + b; }
  return r;
}
fn m_f32_to_i32(x: f32) -> i32 {
  if (!m_isfinite(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  let w = t - 4294967296.0 * floor(t / 4294967296.0);
  return bitcast<i32>(u32(w));
}
fn m_ifloordiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  if ((a % b) != 0 && ((a < 0) != (b < 0))) { return q - 1; }
  return q;
}
fn m_imod(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { return r + b; }
  return r;
}
fn m_ipow(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var r = 1;
  var base = a;
  var e = b;
  loop {
    if (e == 0) { break; }
    if ((e & 1) != 0) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}
`;
