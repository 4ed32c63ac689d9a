<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- The few words of Qt's own dialogs that Qt's Chinese translations (qtbase_zh_CN.qm)
     lack: newer Qt releases renamed them. Compiled with lrelease (PySide6 ships it) into
     qt_gaps_zh_CN.qm, which is what the program loads. -->
<TS version="2.1" language="zh_CN">
<context>
    <name>QFileDialog</name>
    <message><source>&amp;Look in:</source><translation>查找范围(&amp;L)：</translation></message>
    <message><source>Files of &amp;type:</source><translation>文件类型(&amp;T)：</translation></message>
</context>
<context>
    <name>QAbstractFileIconProvider</name>
    <message><source>Folder</source><comment>All other platforms</comment><translation>文件夹</translation></message>
    <message><source>File</source><comment>All other platforms</comment><translation>文件</translation></message>
    <message><source>Drive</source><translation>驱动器</translation></message>
</context>
</TS>
