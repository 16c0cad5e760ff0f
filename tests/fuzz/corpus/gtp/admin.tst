# admin.tst: administrative commands, ids, known_command, list_commands.
# Format: see gtp/gtp_regress.c (GNU Go .tst; `#? ?[...]` expects a failure).

10 protocol_version
#? [2]

11 name
#? [videogo]

12 version
#? [[0-9]+\.[0-9]+\.[0-9]+ \(player random\)]

13 known_command genmove
#? [true]

14 known_command kata-analyze
#? [true]

15 known_command analyze
#? [false]

16 known_command no_such_command
#? [false]

# list_commands: one per line, the first right after "= ".
20 list_commands
#? [protocol_version
name
version
.*
genmove
.*
lz-analyze
kata-analyze
lz-genmove_analyze
kata-genmove_analyze
.*gomill-cpu_time]

21 no_such_command
#? ?[unknown command]

22 cputime
#? [[0-9]+\.[0-9]{3}]

23 gomill-cpu_time
#? [[0-9]+\.[0-9]{3}]

24 gogui-interrupt
#? []

25 stop
#? []

30 gogui-analyze_commands
#? [gfx/Policy/videogo-policy %m
dboard/.*/videogo-ownership
plist/Dead stones/final_status_list dead
string/Final score/final_score
string/Board/showboard]

# expected failure marker: this pattern is wrong on purpose
31 name
#? [gnugo]*
