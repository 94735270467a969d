#!/usr/bin/python3
"""The second SSH client of tests/test_sshd.sh (python3-paramiko), which sees
each prompt and each message of a keyboard-interactive login exactly.

  sshd_client.py port
      Prints a TCP port on 127.0.0.1 that is free now.
  sshd_client.py login PORT USER COMMAND 'PROMPT=ANSWER'...
      Logs in with keyboard-interactive, answering each prompt by its text
      ('Password: =secret'; a prompt given more than once gets its answers
      in order, the last one again when they run out; a prompt not given
      ends the login), then runs COMMAND.  Prints what the server showed,
      one line each ("text: ..." for a message, "prompt: ..." for a
      prompt), then "auth: ok" or "auth: refused", then the
      command's output.  Exits 0 when logged in and COMMAND exited 0, 1
      when refused, 2 on any other error.
"""
import logging
import socket
import sys

import paramiko


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
    return 0


class Answers:
    """Answers prompts by their text; records what the server showed."""

    def __init__(self, pairs):
        self.answers = {}
        for pair in pairs:
            prompt, _, answer = pair.partition("=")
            self.answers.setdefault(prompt, []).append(answer)

    def __call__(self, title, instructions, prompts):
        for text in (title, instructions):
            for line in text.splitlines():
                if line:
                    print("text:", line, flush=True)
        replies = []
        for text, _echo in prompts:
            # sshd puts the messages PAM gave since the last prompt in
            # front of the next one, a line each.
            *lines, prompt = text.split("\n")
            for line in lines:
                print("text:", line, flush=True)
            print("prompt:", prompt, flush=True)
            queue = self.answers.get(prompt)
            if not queue:
                raise paramiko.SSHException("unexpected prompt %r" % prompt)
            replies.append(queue.pop(0) if len(queue) > 1 else queue[0])
        return replies


def login(port, user, command, pairs):
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=30)
        try:
            transport.auth_interactive(user, Answers(pairs))
        except paramiko.AuthenticationException:
            print("auth: refused")
            return 1
        print("auth: ok", flush=True)
        channel = transport.open_session(timeout=30)
        channel.exec_command(command)
        sys.stdout.write(channel.makefile("r").read().decode())
        return 0 if channel.recv_exit_status() == 0 else 2
    finally:
        transport.close()


def main(argv):
    logging.disable(logging.CRITICAL)
    try:
        if argv[1:] == ["port"]:
            return free_port()
        if len(argv) >= 5 and argv[1] == "login":
            return login(argv[2], argv[3], argv[4], argv[5:])
    except (OSError, paramiko.SSHException) as e:
        print("error:", e)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
