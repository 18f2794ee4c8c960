# loss.gp: the training curve of a daetrain --log CSV, as a PNG.
# gnuplot -e "csv='train.csv'; out='loss.png'" pipelines/loss.gp
set datafile separator ','
set terminal pngcairo size 800,480 noenhanced
set output out
set title 'daetrain: loss per epoch'
set xlabel 'epoch'
set ylabel 'MSE on 0..1 pixels'
set logscale y
set key top right
set grid
plot csv every ::1 using 1:2 with linespoints title 'training loss', \
     csv every ::1 using 1:($3 == $3 ? $3 : 1/0) with linespoints title 'validation loss'
