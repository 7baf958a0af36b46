/* Complex-number functions of the Universal CRT that Wine 8's ucrtbase leaves as stubs
 * (an unimplemented function ends the process), for numpy under Wine in
 * scripts/windows-bundle-wine.sh only; never shipped. MSVC's types: _Fcomplex and
 * _Dcomplex are structs of two floats/doubles, and long double is double, so _Lcomplex
 * is _Dcomplex. Each function is jsd_NAME here; the .def file exports it as NAME. */
#include <complex.h>

typedef struct { float re, im; } Fc;
typedef struct { double re, im; } Dc;

static double _Complex from_d(Dc z) { return __builtin_complex(z.re, z.im); }
static float _Complex from_f(Fc z) { return __builtin_complex(z.re, z.im); }
static Dc to_d(double _Complex z) { Dc r = {creal(z), cimag(z)}; return r; }
static Fc to_f(float _Complex z) { Fc r = {crealf(z), cimagf(z)}; return r; }

#define PARTS(name)                                                  \
    double jsd_##name(Dc z) { return name(from_d(z)); }              \
    float jsd_##name##f(Fc z) { return name##f(from_f(z)); }         \
    double jsd_##name##l(Dc z) { return name(from_d(z)); }
PARTS(cabs)
PARTS(carg)
PARTS(creal)
PARTS(cimag)

#define FUNCTION(name)                                                 \
    Dc jsd_##name(Dc z) { return to_d(name(from_d(z))); }              \
    Fc jsd_##name##f(Fc z) { return to_f(name##f(from_f(z))); }        \
    Dc jsd_##name##l(Dc z) { return to_d(name(from_d(z))); }
FUNCTION(ccos)
FUNCTION(ccosh)
FUNCTION(cexp)
FUNCTION(csin)
FUNCTION(csinh)
FUNCTION(ctan)
FUNCTION(ctanh)

Dc jsd_cpow(Dc x, Dc y) { return to_d(cpow(from_d(x), from_d(y))); }
Fc jsd_cpowf(Fc x, Fc y) { return to_f(cpowf(from_f(x), from_f(y))); }
Dc jsd_cpowl(Dc x, Dc y) { return to_d(cpow(from_d(x), from_d(y))); }
