/*
 * startwait.c - start-up time of a server process: fork + exec the command, then connect() to
 * HOST:PORT every 100 us until it is accepted. Prints the elapsed time, then stops the server
 * (SIGTERM, SIGKILL after 3 s). The same measurement for every server of bench/run.sh.
 *
 *   startwait [--host 127.0.0.1] --port PORT [--timeout S] -- COMMAND [ARGS...]
 * Prints: RESULT mode=startup what=process ms=... (exit 0), or an ERROR line (exit 2).
 * Build: gcc -O2 -std=c11 -Wall -Wextra -o startwait startwait.c
 */
#include "wscommon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0, cmd = -1;
    double timeout = 30;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout = atof(argv[++i]);
        else if (!strcmp(argv[i], "--")) { cmd = i + 1; break; }
        else { fprintf(stderr, "usage: startwait [--host H] --port P [--timeout S] -- CMD [ARGS...]\n"); return 2; }
    }
    if (port <= 0 || cmd < 0 || cmd >= argc) { fprintf(stderr, "usage: startwait [--host H] --port P -- CMD [ARGS...]\n"); return 2; }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { fprintf(stderr, "startwait: bad host %s\n", host); return 2; }

    uint64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) { dup2(devnull, 1); close(devnull); }
        execvp(argv[cmd], argv + cmd);
        perror("exec");
        _exit(127);
    }
    uint64_t t1 = 0, deadline = t0 + (uint64_t)(timeout * 1e9);
    int attempts = 0, status = 0;
    while (now_ns() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        attempts++;
        int r = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (r == 0) { t1 = now_ns(); break; }
        if (waitpid(pid, &status, WNOHANG) == pid) { fprintf(stderr, "ERROR: the server exited (status %d) before accepting\n", status); return 2; }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGTERM);
    uint64_t kill_deadline = now_ns() + 3000000000ull;
    while (waitpid(pid, &status, WNOHANG) != pid) {
        if (now_ns() > kill_deadline) { kill(pid, SIGKILL); waitpid(pid, &status, 0); break; }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (!t1) { fprintf(stderr, "ERROR: port %d not accepting after %.1f s\n", port, timeout); return 2; }
    printf("RESULT mode=startup what=process port=%d ms=%.3f attempts=%d load1=%.2f errors=0\n", port, (t1 - t0) / 1e6, attempts, load1());
    return 0;
}
