/* vsnprintf: a small, complete-enough C99 formatter with no floating point. */
#include "lib/printf.h"

#include "lib/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters produced so far, written or not */
};

struct spec {
	bool left, zero, space, plus, alt;
	int width;
	int precision; /* -1 when absent */
};

static void put(struct out *o, char c)
{
	if (o->size && o->len < o->size - 1)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
	if (!s)
		s = "(null)";
	int len = (int)(sp->precision >= 0 ? strnlen(s, (size_t)sp->precision) : strlen(s));
	if (!sp->left)
		pad(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - len);
}

/* Formats an unsigned magnitude with an optional sign or prefix, honouring width and precision. */
static void put_num(struct out *o, const struct spec *sp, uint64_t v, unsigned base, bool upper,
		    char sign, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	/* C99: a zero with precision 0 prints no digits. */
	if (n == 0 && sp->precision != 0)
		tmp[n++] = '0';

	int zeros = sp->precision > n ? sp->precision - n : 0;
	int plen = (int)strlen(prefix) + (sign ? 1 : 0);
	int body = plen + zeros + n;
	bool zero_pad = sp->zero && !sp->left && sp->precision < 0;

	if (zero_pad)
		zeros += sp->width > body ? sp->width - body : 0;
	else if (!sp->left)
		pad(o, ' ', sp->width - body);
	if (sign)
		put(o, sign);
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - body);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_MAX, LEN_PTRDIFF };

static int64_t arg_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR: return (signed char)va_arg(*ap, int);
	case LEN_SHORT: return (short)va_arg(*ap, int);
	case LEN_LONG: return va_arg(*ap, long);
	case LEN_LLONG: return va_arg(*ap, long long);
	case LEN_SIZE: return va_arg(*ap, ssize_t);
	case LEN_MAX: return va_arg(*ap, intmax_t);
	case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

static uint64_t arg_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG: return va_arg(*ap, unsigned long);
	case LEN_LLONG: return va_arg(*ap, unsigned long long);
	case LEN_SIZE: return va_arg(*ap, size_t);
	case LEN_MAX: return va_arg(*ap, uintmax_t);
	case LEN_PTRDIFF: return (uint64_t)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned);
	}
}

/* Accumulates a decimal digit, saturating instead of overflowing. */
static int clamp_digit(int v, char digit)
{
	if (v > (INT32_MAX - 9) / 10)
		return INT32_MAX;
	return v * 10 + (digit - '0');
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .precision = -1 };
	for (;; f++) {
		if (*f == '-') sp->left = true;
		else if (*f == '0') sp->zero = true;
		else if (*f == ' ') sp->space = true;
		else if (*f == '+') sp->plus = true;
		else if (*f == '#') sp->alt = true;
		else break;
	}
	if (*f == '*') {
		int w = va_arg(*ap, int);
		if (w < 0) {
			sp->left = true;
			w = w == INT32_MIN ? INT32_MAX : -w;
		}
		sp->width = w;
		f++;
	} else {
		while (*f >= '0' && *f <= '9')
			sp->width = clamp_digit(sp->width, *f++);
	}
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			int p = va_arg(*ap, int);
			sp->precision = p < 0 ? -1 : p;
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				sp->precision = clamp_digit(sp->precision, *f++);
		}
	}
	return f;
}

static const char *parse_length(const char *f, enum length *len)
{
	*len = LEN_INT;
	switch (*f) {
	case 'h':
		if (f[1] == 'h') { *len = LEN_CHAR; return f + 2; }
		*len = LEN_SHORT; return f + 1;
	case 'l':
		if (f[1] == 'l') { *len = LEN_LLONG; return f + 2; }
		*len = LEN_LONG; return f + 1;
	case 'z': *len = LEN_SIZE; return f + 1;
	case 'j': *len = LEN_MAX; return f + 1;
	case 't': *len = LEN_PTRDIFF; return f + 1;
	default: return f;
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = { .buf = buf, .size = size };
	struct spec sp;
	enum length len;
	va_list ap;
	va_copy(ap, ap_in);

	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		const char *start = f;
		f = parse_spec(f + 1, &sp, &ap);
		f = parse_length(f, &len);
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v = arg_signed(&ap, len);
			char sign = v < 0 ? '-' : sp.plus ? '+' : sp.space ? ' ' : 0;
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
			put_num(&o, &sp, mag, 10, false, sign, "");
			break;
		}
		case 'u':
			put_num(&o, &sp, arg_unsigned(&ap, len), 10, false, 0, "");
			break;
		case 'x':
		case 'X': {
			uint64_t v = arg_unsigned(&ap, len);
			const char *prefix = sp.alt && v ? (*f == 'x' ? "0x" : "0X") : "";
			put_num(&o, &sp, v, 16, *f == 'X', 0, prefix);
			break;
		}
		case 'o': {
			uint64_t v = arg_unsigned(&ap, len);
			/* C99: '#' raises the precision just enough that the first digit is a 0. */
			const char *prefix = "";
			if (sp.alt) {
				int digits = 0;
				for (uint64_t t = v; t; t >>= 3)
					digits++;
				if (sp.precision < 0)
					prefix = v ? "0" : ""; /* keeps '0' flag padding working */
				else if (sp.precision <= digits)
					sp.precision = digits + 1;
			}
			put_num(&o, &sp, v, 8, false, 0, prefix);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(ap, void *);
			if (!v) {
				sp.precision = -1;
				put_str(&o, &sp, "(nil)");
			} else {
				put_num(&o, &sp, v, 16, false, 0, "0x");
			}
			break;
		}
		case 's':
			put_str(&o, &sp, va_arg(ap, const char *));
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			if (!sp.left)
				pad(&o, ' ', sp.width - 1);
			put(&o, c);
			if (sp.left)
				pad(&o, ' ', sp.width - 1);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			/* Unknown conversion: print it verbatim so the mistake is visible. */
			for (const char *p = start; p <= f && *p; p++)
				put(&o, *p);
			if (!*f)
				f--;
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	va_end(ap);
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
