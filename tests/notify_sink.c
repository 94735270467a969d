/*
 * notify_sink SOCKET SECONDS: stands in for systemd's notification socket.
 * Binds a datagram socket at SOCKET and prints each message it receives
 * on one line (its newlines as spaces), until one holds STOPPING=1 or
 * SECONDS pass; exits 0 after STOPPING=1, 1 otherwise.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[4096];
	time_t end;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notify_sink SOCKET SECONDS\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror(argv[1]);
		return 2;
	}
	end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n < 0)
			continue;
		msg[n] = '\0';
		for (char *c = msg; *c != '\0'; c++)
			if (*c == '\n')
				*c = ' ';
		printf("%s\n", msg);
		fflush(stdout);
		if (strstr(msg, "STOPPING=1") != NULL)
			return 0;
	}
	return 1;
}
