# score.tst: final_score and final_status_list (area scoring, estimated dead
# stones removed), kgs-genmove_cleanup.

# empty board: nothing on it, White gets komi
10 final_score
#? [W\+7]

11 final_status_list dead
#? []

# finished.sgf: walls on E and F, a dead white stone at B5, a dead black one at H5
12 loadsgf finished.sgf
#? [black]

13 final_score
#? [B\+2]

14 final_status_list dead
#? [B5
H5]

15 final_status_list alive
#? [E9 E8 E7 E6 E5 E4 E3 E2 E1
F9 F8 F7 F6 F5 F4 F3 F2 F1]

16 final_status_list seki
#? []

17 final_status_list DEAD
#? [B5
H5]

18 final_status_list unknown
#? ?[invalid status]

komi 9
19 final_score
#? [0]

komi 10.5
20 final_score
#? [W\+1\.5]

# the same score from the other side to move
komi 7
play b pass
21 final_score
#? [B\+2]

# cleanup: attack the dead stones rather than pass
22 kgs-genmove_cleanup b
#? [A5|B6|B4|C5]

23 kgs-genmove_cleanup w
#? [G5|H6|H4|J5]

# once the dead stones are captured the score does not change
loadsgf finished.sgf
play b a5
play b c5
play b b6
play b b4
24 list_stones w
#? [F9 F8 F7 F6 F5 F4 F3 F2 F1]

25 final_score
#? [B\+2]

26 final_status_list dead
#? [H5]
