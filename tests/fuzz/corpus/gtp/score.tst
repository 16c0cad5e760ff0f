# score.tst: final_score and final_status_list (area scoring, estimated dead
# stones removed), kgs-genmove_cleanup.

# empty board: nothing on it, White gets komi
10 final_score
#? [W\+7]

11 final_status_list dead
#? []

# finished.sgf: Black owns A-E, White F-J; a dead white stone at B9 and a dead black
# one at H1 (GNU Go 3.8 gives the same score and dead list)
12 loadsgf finished.sgf
#? [black]

13 final_score
#? [B\+2]

14 final_status_list dead
#? [B9
H1]

15 final_status_list alive
#? [E9 A8 B8 C8 D8 E8 E7 E6 E5 E4 E3 E2 E1
F9 F8 F7 F6 F5 F4 F3 F2 G2 H2 J2 F1]

16 final_status_list seki
#? []

17 final_status_list DEAD
#? [B9
H1]

18 final_status_list unknown
#? ?[invalid status]

komi 9
19 final_score
#? [0]

komi 10.5
20 final_score
#? [W\+1\.5]

# the same score with the other side to move
komi 7
play b pass
21 final_score
#? [B\+2]

# cleanup: attack the dead stones rather than pass
22 kgs-genmove_cleanup b
#? [A9|C9]

23 kgs-genmove_cleanup w
#? [G1|J1]

# once the dead stones are captured the score does not change
loadsgf finished.sgf
play b a9
play b c9
24 list_stones w
#? [F9 F8 F7 F6 F5 F4 F3 F2 G2 H2 J2 F1]

25 final_score
#? [B\+2]

26 final_status_list dead
#? [H1]

# Known weakness (expected failure): lone dead stones in large open areas. GNU Go 3.8
# scores openarea.sgf B+2 with B5 and H5 dead; the random-playout estimate lets the
# white stone live in Black's 36-point area.
27 loadsgf openarea.sgf
#? [black]

28 final_score
#? [B\+2]*
