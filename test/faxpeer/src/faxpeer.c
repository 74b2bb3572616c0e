/*
 * faxpeer - a fax line for tests: a spandsp T.31 Class 1 modem on a pty, its
 * audio wired in-process (20 ms real-time ticks, 160 samples at 8 kHz) to a
 * spandsp T.30 terminal that plays the remote fax machine.
 *
 *   faxpeer --mode receive|send --tiff FILE --pty-link PATH [options]
 *
 * See README.md beside this file. Exactly one line goes to stdout, at exit:
 *   RESULT status=0 (OK) pages=1 bitrate=14400 ecm=0 remote="..." ...
 * Everything else goes to stderr or to the --log file.
 */
#define _GNU_SOURCE
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <tiffio.h>
#include <spandsp.h>

#define SAMPLE_RATE 8000
#define TICK_SAMPLES 160 /* 20 ms */
#define TICK_NS 20000000L
#define OUTQ_MAX (1 << 20)
#define XON 0x11
#define XOFF 0x13

enum call_state {
    CALL_IDLE,      /* nothing yet (receive mode: waiting for ATD) */
    CALL_RINGING,   /* send mode: the far end is calling, RING to the host */
    CALL_DIALING,   /* receive mode: the host dialled, the far end rings */
    CALL_UP,        /* audio flows */
    CALL_ENDING,    /* far end done or host gone; lingering */
    CALL_OVER
};

static const char *call_state_name[] = {"idle", "ringing", "dialing", "up", "ending", "over"};

struct opts {
    int send;                 /* 1: the far end sends (host answers); 0: far end receives (host dials) */
    const char *tiff;
    const char *link;
    const char *log;
    const char *ident;
    int ecm;
    int max_rate;
    double cut_after;         /* seconds after the call is up; <0 off */
    int noise_set;
    double noise_db;          /* dBm0 */
    double timeout;
    double ring_interval;     /* seconds between RINGs */
    int max_rings;
    double answer_delay;      /* receive mode: far end answers this long after ATD */
    double linger;            /* after the far end's phase E */
    int flow_xon;
    int realtime;
};

static struct opts o = {
    .send = -1,
    .ident = "+1 555 0100",
    .ecm = 0,
    .max_rate = 14400,
    .cut_after = -1,
    .timeout = 180,
    .ring_interval = 6.0,
    .max_rings = 10,
    .answer_delay = 1.0,
    .linger = 3.0,
    .flow_xon = 1,
    .realtime = 1,
};

static FILE *logf_;
static struct timespec t_start;
static volatile sig_atomic_t got_signal;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t_start.tv_sec) + (t.tv_nsec - t_start.tv_nsec) / 1e9;
}

static void logmsg(const char *fmt, ...)
{
    va_list ap;
    FILE *f = logf_ ? logf_ : stderr;
    fprintf(f, "%9.3f faxpeer: ", now_s());
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fflush(f);
}

static void span_msg(int level, const char *text)
{
    (void) level;
    if (!logf_)
        return;
    fprintf(logf_, "%9.3f %s", now_s(), text);
    fflush(logf_);
}

/* ---- the line ---------------------------------------------------------- */

struct line {
    int master;
    char slave_name[128];
    int host_present;         /* the slave is open (reads do not give EIO) */
    int host_ever;            /* the host has sent at least one byte */
    double host_last_rx;      /* when the host last sent something */
    int cts;                  /* t31 accepts more data from the host */
    uint8_t *outq;
    size_t outq_len;
    size_t dropped;

    t31_state_t *t31;
    fax_state_t *fax;
    t30_state_t *t30;
    noise_state_t *noise_a, *noise_b;

    enum call_state state;
    double state_since;
    double up_at;             /* when audio started */
    int rings;
    double next_ring;
    int pending_answer;       /* host sent ATA (or auto-answer) */
    int pending_dial;         /* host sent ATD */
    int pending_hangup;       /* host sent ATH / ATZ while off hook */
    char dialled[64];

    int phase_e;              /* far end reached phase E */
    int completion;
    t30_stats_t stats;
    char remote[64];
    const char *end;          /* why the call ended */
    long late_ticks;
    double max_late_ms;
};

static struct line L;

static void set_state(enum call_state s)
{
    if (L.state != s)
        logmsg("call %s -> %s", call_state_name[L.state], call_state_name[s]);
    L.state = s;
    L.state_since = now_s();
}

static void log_bytes(const char *dir, const uint8_t *b, size_t n)
{
    char buf[200];
    size_t i, k = 0;
    if (!logf_)
        return;
    if (n > 48) {
        logmsg("%s %zu bytes", dir, n);
        return;
    }
    for (i = 0; i < n && k < sizeof(buf) - 6; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\')
            buf[k++] = (char) b[i];
        else
            k += snprintf(buf + k, sizeof(buf) - k, "\\x%02x", b[i]);
    }
    buf[k] = 0;
    logmsg("%s \"%s\"", dir, buf);
}

static void outq_flush(void)
{
    while (L.outq_len > 0) {
        ssize_t w = write(L.master, L.outq, L.outq_len);
        if (w > 0) {
            memmove(L.outq, L.outq + w, L.outq_len - (size_t) w);
            L.outq_len -= (size_t) w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EIO) {
            /* no host on the slave side: nobody will ever read this */
            L.dropped += L.outq_len;
            L.outq_len = 0;
        }
        return; /* EAGAIN: the host is not reading; keep it for the next tick */
    }
}

static void to_host(const uint8_t *b, size_t n)
{
    log_bytes("modem->host", b, n);
    if (!L.host_present) {
        L.dropped += n;
        return;
    }
    if (L.outq_len + n > OUTQ_MAX) {
        /* never block, never grow without bound: a host that stopped reading
           loses the oldest bytes, as a real modem's buffer would overflow */
        size_t drop = L.outq_len + n - OUTQ_MAX;
        if (drop > L.outq_len)
            drop = L.outq_len;
        memmove(L.outq, L.outq + drop, L.outq_len - drop);
        L.outq_len -= drop;
        L.dropped += drop;
        if (n > OUTQ_MAX)
            n = OUTQ_MAX;
    }
    memcpy(L.outq + L.outq_len, b, n);
    L.outq_len += n;
    outq_flush();
}

static int at_tx_handler(at_state_t *s, void *user_data, const uint8_t *buf, size_t len)
{
    (void) s;
    (void) user_data;
    to_host(buf, len);
    return (int) len;
}

static int modem_control(t31_state_t *s, void *user_data, int op, const char *num)
{
    (void) s;
    (void) user_data;
    switch (op) {
    case AT_MODEM_CONTROL_CALL:
        logmsg("host dials \"%s\"", num ? num : "");
        if (o.send || L.state != CALL_IDLE)
            return -1; /* ERROR: this line only takes one call, in its mode */
        snprintf(L.dialled, sizeof(L.dialled), "%s", num ? num : "");
        L.pending_dial = 1;
        return 0;
    case AT_MODEM_CONTROL_ANSWER:
        logmsg("host answers (state %s)", call_state_name[L.state]);
        if (L.state != CALL_RINGING)
            return -1;
        L.pending_answer = 1;
        return 0;
    case AT_MODEM_CONTROL_HANGUP:
        if (L.state == CALL_UP || L.state == CALL_DIALING || L.state == CALL_ENDING) {
            logmsg("host hangs up");
            L.pending_hangup = 1;
        }
        return 0;
    case AT_MODEM_CONTROL_CTS: {
        int on = (int) (intptr_t) num;
        if (on != L.cts) {
            L.cts = on;
            if (logf_)
                logmsg("modem %s host data (CTS %s)", on ? "accepts" : "holds", on ? "on" : "off");
            if (o.flow_xon) {
                uint8_t c = on ? XON : XOFF;
                if (L.host_present) {
                    /* bypass the log: these are frequent while the host sends */
                    if (L.outq_len < OUTQ_MAX) {
                        L.outq[L.outq_len++] = c;
                        outq_flush();
                    }
                }
            }
        }
        return 0;
    }
    default:
        /* OFFHOOK, ONHOOK, DTR, RTS, CAR, RNG, DSR, SETID: nothing to wire */
        return 0;
    }
}

/* ---- the far end ------------------------------------------------------- */

static void phase_e_handler(t30_state_t *s, void *user_data, int completion_code)
{
    (void) user_data;
    L.phase_e = 1;
    L.completion = completion_code;
    t30_get_transfer_statistics(s, &L.stats);
    snprintf(L.remote, sizeof(L.remote), "%s", t30_get_rx_ident(s) ? t30_get_rx_ident(s) : "");
    logmsg("far end phase E: %d (%s) pages_tx=%d pages_rx=%d bitrate=%d ecm=%d remote=\"%s\"",
           completion_code, t30_completion_code_to_str(completion_code), L.stats.pages_tx,
           L.stats.pages_rx, L.stats.bit_rate, L.stats.error_correcting_mode, L.remote);
}

static int phase_b_handler(t30_state_t *s, void *user_data, int result)
{
    (void) user_data;
    logmsg("far end phase B (%s), remote ident \"%s\"", t30_frametype((uint8_t) result),
           t30_get_rx_ident(s) ? t30_get_rx_ident(s) : "");
    return T30_ERR_OK;
}

static int phase_d_handler(t30_state_t *s, void *user_data, int result)
{
    t30_stats_t st;
    (void) user_data;
    t30_get_transfer_statistics(s, &st);
    logmsg("far end phase D (%s): pages_tx=%d pages_rx=%d bitrate=%d ecm=%d bad_rows=%d",
           t30_frametype((uint8_t) result), st.pages_tx, st.pages_rx, st.bit_rate,
           st.error_correcting_mode, st.bad_rows);
    return T30_ERR_OK;
}

static void far_end_init(void)
{
    int modems = T30_SUPPORT_V27TER;
    int lvl = SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW;

    /* send mode: the far end calls; receive mode: it answers */
    L.fax = fax_init(NULL, o.send ? TRUE : FALSE);
    if (!L.fax) {
        fprintf(stderr, "faxpeer: fax_init failed\n");
        exit(2);
    }
    L.t30 = fax_get_t30_state(L.fax);
    fax_set_transmit_on_idle(L.fax, TRUE);
    fax_set_tep_mode(L.fax, FALSE);
    if (o.max_rate >= 7200)
        modems |= T30_SUPPORT_V29;
    if (o.max_rate >= 12000)
        modems |= T30_SUPPORT_V17;
    t30_set_supported_modems(L.t30, modems);
    t30_set_ecm_capability(L.t30, o.ecm);
    if (o.ecm)
        t30_set_supported_compressions(L.t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                                  T30_SUPPORT_T4_2D_COMPRESSION |
                                                  T30_SUPPORT_T6_COMPRESSION);
    else
        t30_set_supported_compressions(L.t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                                  T30_SUPPORT_T4_2D_COMPRESSION);
    t30_set_tx_ident(L.t30, o.ident);
    if (o.send)
        t30_set_tx_file(L.t30, o.tiff, -1, -1);
    else
        t30_set_rx_file(L.t30, o.tiff, -1);
    t30_set_phase_b_handler(L.t30, phase_b_handler, NULL);
    t30_set_phase_d_handler(L.t30, phase_d_handler, NULL);
    t30_set_phase_e_handler(L.t30, phase_e_handler, NULL);
    if (logf_) {
        logging_state_t *ls;
        ls = fax_get_logging_state(L.fax);
        span_log_set_level(ls, lvl);
        span_log_set_tag(ls, "FAR");
        span_log_set_message_handler(ls, span_msg);
        ls = t30_get_logging_state(L.t30);
        span_log_set_level(ls, lvl);
        span_log_set_tag(ls, "FAR");
        span_log_set_message_handler(ls, span_msg);
    }
}

static void modem_init(void)
{
    int lvl = SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW;
    L.t31 = t31_init(NULL, at_tx_handler, NULL, modem_control, NULL, NULL, NULL);
    if (!L.t31) {
        fprintf(stderr, "faxpeer: t31_init failed\n");
        exit(2);
    }
    t31_set_transmit_on_idle(L.t31, TRUE);
    if (logf_) {
        logging_state_t *ls = t31_get_logging_state(L.t31);
        span_log_set_level(ls, lvl);
        span_log_set_tag(ls, "T31");
        span_log_set_message_handler(ls, span_msg);
        ls = &L.t31->at_state.logging;
        span_log_set_level(ls, lvl);
        span_log_set_tag(ls, "AT");
        span_log_set_message_handler(ls, span_msg);
    }
}

/* ---- the pty ----------------------------------------------------------- */

static void pty_open(void)
{
    struct termios tio;
    char *name;
    int slave;

    L.master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (L.master < 0 || grantpt(L.master) < 0 || unlockpt(L.master) < 0 ||
        (name = ptsname(L.master)) == NULL) {
        fprintf(stderr, "faxpeer: pty: %s\n", strerror(errno));
        exit(2);
    }
    snprintf(L.slave_name, sizeof(L.slave_name), "%s", name);
    /* Raw, as a serial port to a modem should start: no echo, no canonical
       mode, no CR/NL translation, no software or hardware flow control in the
       line discipline. The host sets its own modes when it opens the port. */
    slave = open(L.slave_name, O_RDWR | O_NOCTTY);
    if (slave < 0) {
        fprintf(stderr, "faxpeer: open %s: %s\n", L.slave_name, strerror(errno));
        exit(2);
    }
    if (tcgetattr(slave, &tio) == 0) {
        cfmakeraw(&tio);
        tio.c_iflag &= ~(IXON | IXOFF | IXANY | ICRNL | INLCR | IGNCR);
        tio.c_oflag &= ~(OPOST | ONLCR);
        tio.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL | ICANON | ISIG | IEXTEN);
        tio.c_cflag &= ~CRTSCTS;
        tio.c_cflag |= CLOCAL | CREAD;
        tio.c_cc[VMIN] = 1;
        tio.c_cc[VTIME] = 0;
        cfsetispeed(&tio, B115200);
        cfsetospeed(&tio, B115200);
        tcsetattr(slave, TCSANOW, &tio);
    }
    chmod(L.slave_name, 0666);
    close(slave);
    /* the slave is closed again: until the host opens it reads give EIO */
    L.host_present = 0;

    {
        struct stat st;
        if (lstat(o.link, &st) == 0) {
            if (!S_ISLNK(st.st_mode)) {
                fprintf(stderr, "faxpeer: %s exists and is not a symlink\n", o.link);
                exit(2);
            }
            unlink(o.link);
        }
        if (symlink(L.slave_name, o.link) < 0) {
            fprintf(stderr, "faxpeer: symlink %s -> %s: %s\n", o.link, L.slave_name, strerror(errno));
            exit(2);
        }
    }
    logmsg("pty %s linked at %s", L.slave_name, o.link);
}

/* read from the host while the modem accepts data; returns on EAGAIN/EIO */
static void pty_read(void)
{
    uint8_t buf[256];
    int rounds = 0;

    while (rounds++ < 64) {
        ssize_t n;
        if (!L.cts && (L.t31->at_state.at_rx_mode == AT_MODE_STUFFED ||
                       L.t31->at_state.at_rx_mode == AT_MODE_HDLC))
            return; /* flow control: leave data in the pty until t31 drains */
        n = read(L.master, buf, sizeof(buf));
        if (n > 0) {
            if (!L.host_present)
                logmsg("host opened the port");
            L.host_present = 1;
            L.host_ever = 1;
            L.host_last_rx = now_s();
            log_bytes("host->modem", buf, (size_t) n);
            t31_at_rx(L.t31, (const char *) buf, (int) n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* the slave is open (or was never opened): responses can go out */
            L.host_present = 1;
            return;
        }
        if (n < 0 && errno == EIO) {
            if (L.host_present && L.host_ever)
                logmsg("host closed the port");
            if (L.host_present && L.host_ever &&
                (L.state == CALL_UP || L.state == CALL_DIALING)) {
                /* like DTR dropping with AT&D2: the modem goes on hook */
                logmsg("host closed the port during the call: hanging up");
                L.pending_hangup = 1;
            }
            L.host_present = 0;
            L.dropped += L.outq_len;
            L.outq_len = 0;
            return;
        }
        return;
    }
}

/* ---- main loop --------------------------------------------------------- */

static void line_down(const char *why)
{
    if (!L.end)
        L.end = why;
    logmsg("line down: %s", why);
}

static void on_signal(int sig)
{
    got_signal = sig;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: faxpeer --mode receive|send --tiff FILE --pty-link PATH [options]\n"
            "  --mode receive      the far end answers and receives into --tiff (host dials ATD)\n"
            "  --mode send         the far end calls (RING), the host answers, the far end sends --tiff\n"
            "  --ecm | --no-ecm    offer/accept T.30 error correction mode (default --no-ecm)\n"
            "  --max-rate N        4800 (V.27ter) | 7200|9600 (+V.29) | 12000|14400 (+V.17); default 14400\n"
            "  --cut-after S       drop the line S seconds after the call is up (host sees NO CARRIER)\n"
            "  --noise DB          add white noise at DB dBm0 (e.g. -30) to both directions\n"
            "  --timeout S         give up after S seconds in all (default 180)\n"
            "  --ident STR         the far end's TSI/CSI (default \"+1 555 0100\")\n"
            "  --log FILE          spandsp flow logging and faxpeer's own events\n"
            "  --ring-interval S   seconds between RINGs in send mode (default 6: 2 s on, 4 s off)\n"
            "  --max-rings N       the caller gives up after N rings (default 10)\n"
            "  --answer-delay S    receive mode: the far end answers S s after ATD (default 1)\n"
            "  --linger S          after the far end's phase E, wait S s for the host to hang up (default 3)\n"
            "  --flow xonxoff|none modem->host XOFF/XON when its buffer fills (default xonxoff)\n"
            "  --no-realtime       do not ask for SCHED_FIFO (by default it is tried, silently skipped if refused)\n");
    exit(2);
}

static void print_result(void)
{
    char rem[130];
    size_t i, k = 0;
    int pages;
    for (i = 0; L.remote[i] && k < sizeof(rem) - 3; i++) {
        if (L.remote[i] == '"' || L.remote[i] == '\\')
            rem[k++] = '\\';
        rem[k++] = L.remote[i];
    }
    rem[k] = 0;
    pages = o.send ? L.stats.pages_tx : L.stats.pages_rx;
    printf("RESULT status=%d (%s) pages=%d bitrate=%d ecm=%d remote=\"%s\" pages_rx=%d pages_tx=%d "
           "mode=%s end=%s duration=%.1f late_ticks=%ld max_late_ms=%.0f\n",
           L.completion, t30_completion_code_to_str(L.completion), pages, L.stats.bit_rate,
           L.stats.error_correcting_mode ? 1 : 0, rem, L.stats.pages_rx, L.stats.pages_tx,
           o.send ? "send" : "receive", L.end ? L.end : "none",
           L.up_at > 0 ? now_s() - L.up_at : 0.0, L.late_ticks, L.max_late_ms);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static struct option lo[] = {
        {"mode", required_argument, 0, 'm'},
        {"tiff", required_argument, 0, 'f'},
        {"ecm", no_argument, 0, 'E'},
        {"no-ecm", no_argument, 0, 'e'},
        {"max-rate", required_argument, 0, 'r'},
        {"cut-after", required_argument, 0, 'c'},
        {"noise", required_argument, 0, 'n'},
        {"pty-link", required_argument, 0, 'p'},
        {"timeout", required_argument, 0, 't'},
        {"ident", required_argument, 0, 'i'},
        {"log", required_argument, 0, 'l'},
        {"ring-interval", required_argument, 0, 'R'},
        {"max-rings", required_argument, 0, 'N'},
        {"answer-delay", required_argument, 0, 'A'},
        {"linger", required_argument, 0, 'L'},
        {"flow", required_argument, 0, 'F'},
        {"no-realtime", no_argument, 0, 'T'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    int16_t a[TICK_SAMPLES], b[TICK_SAMPLES];
    struct timespec next;
    double deadline;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t_start);
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "send") == 0)
                o.send = 1;
            else if (strcmp(optarg, "receive") == 0)
                o.send = 0;
            else
                usage();
            break;
        case 'f': o.tiff = optarg; break;
        case 'E': o.ecm = 1; break;
        case 'e': o.ecm = 0; break;
        case 'r':
            o.max_rate = atoi(optarg);
            if (o.max_rate != 4800 && o.max_rate != 7200 && o.max_rate != 9600 &&
                o.max_rate != 12000 && o.max_rate != 14400)
                usage();
            break;
        case 'c': o.cut_after = atof(optarg); break;
        case 'n': o.noise_set = 1; o.noise_db = atof(optarg); break;
        case 'p': o.link = optarg; break;
        case 't': o.timeout = atof(optarg); break;
        case 'i': o.ident = optarg; break;
        case 'l': o.log = optarg; break;
        case 'R': o.ring_interval = atof(optarg); break;
        case 'N': o.max_rings = atoi(optarg); break;
        case 'A': o.answer_delay = atof(optarg); break;
        case 'L': o.linger = atof(optarg); break;
        case 'T': o.realtime = 0; break;
        case 'F':
            if (strcmp(optarg, "xonxoff") == 0)
                o.flow_xon = 1;
            else if (strcmp(optarg, "none") == 0)
                o.flow_xon = 0;
            else
                usage();
            break;
        default: usage();
        }
    }
    if (o.send < 0 || !o.tiff || !o.link || optind != argc)
        usage();
    if (o.send && access(o.tiff, R_OK) != 0) {
        fprintf(stderr, "faxpeer: cannot read %s: %s\n", o.tiff, strerror(errno));
        exit(2);
    }
    if (o.log) {
        logf_ = fopen(o.log, "a");
        if (!logf_) {
            fprintf(stderr, "faxpeer: cannot open log %s: %s\n", o.log, strerror(errno));
            exit(2);
        }
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGHUP, on_signal);

    L.outq = malloc(OUTQ_MAX);
    L.cts = 1;
    L.completion = -1;
    L.state = CALL_IDLE;
    modem_init();
    far_end_init();
    if (o.noise_set) {
        L.noise_a = noise_init_dbm0(NULL, 1234567, (float) o.noise_db, NOISE_CLASS_AWGN, 7);
        L.noise_b = noise_init_dbm0(NULL, 7654321, (float) o.noise_db, NOISE_CLASS_AWGN, 7);
    }
    pty_open();
    logmsg("mode=%s tiff=%s ecm=%d max_rate=%d ident=\"%s\" flow=%s", o.send ? "send" : "receive",
           o.tiff, o.ecm, o.max_rate, o.ident, o.flow_xon ? "xonxoff" : "none");
    if (o.send) {
        set_state(CALL_RINGING);
        L.next_ring = -1; /* first RING once the host is set up */
    }
    deadline = o.timeout;
    if (o.realtime) {
        /* the line runs in real time: ask for a real-time slot if allowed */
        struct sched_param sp = {.sched_priority = 10};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) == 0)
            logmsg("running SCHED_FIFO priority %d", sp.sched_priority);
        else
            logmsg("SCHED_FIFO not available (%s): normal scheduling", strerror(errno));
    }

    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        double t;
        int i, n;

        /* real time: one 20 ms tick at a time */
        next.tv_nsec += TICK_NS;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !got_signal)
            ;
        {
            struct timespec now;
            double late;
            clock_gettime(CLOCK_MONOTONIC, &now);
            late = (now.tv_sec - next.tv_sec) * 1e3 + (now.tv_nsec - next.tv_nsec) / 1e6;
            if (late > 10.0) {
                L.late_ticks++;
                if (late > 40.0)
                    logmsg("tick %.0f ms late", late);
            }
            if (late > L.max_late_ms)
                L.max_late_ms = late;
            if (late > 200.0) {
                /* we were stopped: do not try to catch up in a burst */
                next = now;
            }
        }
        t = now_s();

        if (got_signal) {
            logmsg("signal %d", (int) got_signal);
            if (L.state != CALL_OVER) {
                if (L.state == CALL_UP || L.state == CALL_DIALING)
                    t31_call_event(L.t31, AT_CALL_EVENT_HANGUP);
                line_down("signal");
            }
            break;
        }

        /* host -> modem */
        pty_read();
        outq_flush();

        /* call progress, driven by the host's commands and the clock */
        if (L.pending_dial) {
            L.pending_dial = 0;
            set_state(CALL_DIALING);
        }
        if (L.state == CALL_DIALING && t - L.state_since >= o.answer_delay) {
            logmsg("far end answers");
            set_state(CALL_UP);
            L.up_at = t;
            t31_call_event(L.t31, AT_CALL_EVENT_CONNECTED);
        }
        if (L.state == CALL_RINGING) {
            if (L.pending_answer) {
                L.pending_answer = 0;
                set_state(CALL_UP);
                L.up_at = t;
                t31_call_event(L.t31, AT_CALL_EVENT_ANSWERED);
            } else if (L.next_ring < 0) {
                /* ring once the host has set the modem up and gone quiet */
                if (L.host_present && L.host_ever && t - L.host_last_rx >= 1.0)
                    L.next_ring = t;
            }
            if (L.state == CALL_RINGING && L.next_ring >= 0 && t >= L.next_ring) {
                if (L.rings >= o.max_rings) {
                    logmsg("no answer after %d rings: the caller gives up", L.rings);
                    line_down("no-answer");
                    set_state(CALL_OVER);
                } else {
                    L.rings++;
                    logmsg("RING %d", L.rings);
                    t31_call_event(L.t31, AT_CALL_EVENT_ALERTING);
                    L.next_ring = t + o.ring_interval;
                }
            }
        }
        if (L.pending_hangup) {
            L.pending_hangup = 0;
            if (L.state == CALL_UP || L.state == CALL_DIALING) {
                line_down(L.phase_e ? "done" : "host-hangup");
                set_state(CALL_ENDING);
            } else if (L.state == CALL_ENDING) {
                if (!L.end)
                    L.end = "done";
            }
        }
        if (L.state == CALL_UP && o.cut_after >= 0 && t - L.up_at >= o.cut_after) {
            logmsg("cutting the line after %.1f s", o.cut_after);
            line_down("cut");
            set_state(CALL_ENDING);
            t31_call_event(L.t31, AT_CALL_EVENT_HANGUP); /* NO CARRIER */
            if (!L.phase_e)
                t30_terminate(L.t30);
        }
        if (L.state == CALL_UP && L.phase_e) {
            /* the far end has finished and goes on hook once the host does */
            set_state(CALL_ENDING);
        }
        if (L.state == CALL_ENDING) {
            double in = t - L.state_since;
            if (!L.phase_e && in >= 1.0) {
                /* the line is gone but the far end has not noticed yet */
                t30_terminate(L.t30);
            }
            if (L.phase_e && !L.end && in >= o.linger) {
                /* the host did not hang up: the far end has; tell the host */
                logmsg("host did not hang up within %.1f s: far end hangs up", o.linger);
                t31_call_event(L.t31, AT_CALL_EVENT_HANGUP);
                line_down("far-hangup");
            }
            if (L.phase_e && L.end) {
                set_state(CALL_OVER);
            }
        }
        if (L.state == CALL_OVER) {
            /* keep answering AT commands (ATH, ATZ, ...) until the host
               closes the port or --linger has passed */
            outq_flush();
            if (!L.host_present || t - L.state_since >= o.linger)
                break;
        }
        if (t >= deadline) {
            logmsg("timeout after %.0f s in state %s", o.timeout, call_state_name[L.state]);
            if (L.state == CALL_UP || L.state == CALL_DIALING || L.state == CALL_ENDING)
                t31_call_event(L.t31, AT_CALL_EVENT_HANGUP);
            if (!L.phase_e && (L.state == CALL_UP || L.state == CALL_ENDING))
                t30_terminate(L.t30);
            line_down("timeout");
            break;
        }

        /* audio: one tick each way */
        n = t31_tx(L.t31, a, TICK_SAMPLES);
        for (i = n; i < TICK_SAMPLES; i++)
            a[i] = 0;
        if (L.state == CALL_UP) {
            n = fax_tx(L.fax, b, TICK_SAMPLES);
            for (i = n; i < TICK_SAMPLES; i++)
                b[i] = 0;
        } else {
            memset(b, 0, sizeof(b));
            if (L.state != CALL_UP)
                memset(a, 0, sizeof(a)); /* on hook: the modem hears nothing of itself */
        }
        if (L.noise_a && L.state == CALL_UP) {
            for (i = 0; i < TICK_SAMPLES; i++) {
                a[i] = saturate(a[i] + noise(L.noise_a));
                b[i] = saturate(b[i] + noise(L.noise_b));
            }
        }
        t31_rx(L.t31, b, TICK_SAMPLES);
        if (L.state == CALL_UP || L.state == CALL_ENDING)
            fax_rx(L.fax, a, TICK_SAMPLES);
        outq_flush();
    }

    if (!L.phase_e && (L.state == CALL_UP || L.state == CALL_ENDING || L.state == CALL_DIALING))
        t30_terminate(L.t30);
    if (!L.end)
        L.end = "none";
    if (L.phase_e && L.completion == T30_ERR_OK && strcmp(L.end, "host-hangup") == 0)
        L.end = "done";
    /* give the host a moment to read what is queued */
    for (c = 0; c < 25 && L.outq_len > 0 && L.host_present; c++) {
        usleep(20000);
        outq_flush();
    }
    rc = (L.phase_e && L.completion == T30_ERR_OK) ? 0 : 1;
    logmsg("exit: status=%d end=%s dropped_to_host=%zu", L.completion, L.end, L.dropped);
    print_result();
    unlink(o.link);
    t31_free(L.t31);
    fax_free(L.fax);
    if (logf_)
        fclose(logf_);
    return rc;
}
